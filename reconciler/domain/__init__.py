"""The shared ConnectWise domain, used by plan, apply, verify, import and the sends alike:
how names compare (`fold`), which agreement a product is billed on (`agreements`),
which customers a command targets (`selection`) and the idempotency keys that record
each send in ConnectWise (`keys`)."""
