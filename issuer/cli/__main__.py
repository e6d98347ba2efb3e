"""`python -m issuer.cli`: the `issuer` command."""

from issuer.cli.main import main

main()
