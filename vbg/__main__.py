"""`python -m vbg` is the same as the `vbg` command."""

from vbg.cli.main import main

raise SystemExit(main())
