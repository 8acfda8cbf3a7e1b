import CygnetCLI

await CygnetCommand.main()
