import ArgumentParser

/// `rcrp-router`: the service and the tools an operator runs beside it.
public struct RouterCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "rcrp-router",
        abstract: "Right Care, Right Person call routing for police control rooms.",
        subcommands: [ServeCommand.self, CheckRulesCommand.self, VerifyLedgerCommand.self, HashKeyCommand.self, ProbeCommand.self]
    )

    public init() {}
}

extension RouterCommand {
    /// Parses the process's arguments and runs the chosen command. Spelled out because, called from
    /// another module, `main()` resolves to ParsableCommand's synchronous one, which refuses async commands.
    public static func runFromCommandLine() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
