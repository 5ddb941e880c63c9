"""Small builders for config model objects (no YAML needed)."""

from reconciler.config.model import Customer, Policy


def customer(slug: str, company: str, policy: Policy, *, enabled: bool = True,
             trend_micro_id: str | None = None) -> Customer:
    return Customer(slug=slug, path=f"customers/{slug}.yaml", name=slug.title(),
                    company=company, trend_micro_id=trend_micro_id or f"tm-{slug}",
                    enabled=enabled, settings="custom", agreements={}, policy=policy)
