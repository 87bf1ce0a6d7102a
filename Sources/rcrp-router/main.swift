import App

await RouterCommand.runFromCommandLine()
