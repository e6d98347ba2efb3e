"""The `issuer` command: the contract scripts and other tools rely on. The group is in
`issuer.cli.main`, one module per command group.

Exit codes: 0 success; 1 a refusal a person can act on (message on stderr, French first unless
ISSUER_LANG/LANG says English); 2 unusable input or usage. `issuer verify`: 0 valid, 1 not valid
(invalid, or status that could not be checked), 2 unreadable input (an
address refused included: loopback only with `--allow-loopback`, private addresses never).
Help texts follow the same language choice.
"""
