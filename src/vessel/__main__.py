from vessel.launcher import main

main()
