/// Why `serve` could not start once the configuration was valid: the rules or the ledger.
enum StartupError: Error, CustomStringConvertible {
    case rules(path: String, problems: String)
    case ledger(directory: String, reason: String)
    case service(String)
    case listen(address: String, reason: String)

    var description: String {
        switch self {
        case .rules(let path, let problems): return "rules_path: \(path): the rule set cannot be loaded:\n\(problems)"
        case .ledger(let directory, let reason): return "data_dir: the ledger in \(directory) cannot be opened: \(reason)"
        case .service(let reason): return "the service cannot start: \(reason)"
        case .listen(let address, let reason): return "listen: cannot listen on \(address): \(reason)"
        }
    }
}
