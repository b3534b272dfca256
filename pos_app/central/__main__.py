from pos_app.central.cli import main

raise SystemExit(main())
