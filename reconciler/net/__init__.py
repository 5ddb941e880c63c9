"""What every outbound HTTP client of the tool shares (ConnectWise, Trend Micro): which
URLs it may call (`urls`), when a failed request is repeated and after how long (`retry`),
and how an answer is read within a deadline and a size cap (`bounded`)."""
