from vessel.cli.main import main

main()
