import ArgumentParser
import Digests
import Foundation

/// `rcrp-router hash-key KEY`: the SHA-256 to put under `keys[].sha256`, so the configuration never holds a key.
struct HashKeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash-key",
        abstract: "Print the SHA-256 of an API key, for the keys list in the configuration.",
        discussion: "Pass - to read the key from standard input, which keeps it out of the shell history."
    )

    @Argument(help: "The API key, or - to read one line from standard input.")
    var key: String

    func run() throws {
        var secret = key
        if key == "-" {
            guard let line = readLine(strippingNewline: true) else {
                throw ValidationError("no key on standard input")
            }
            secret = line
        }
        guard !secret.isEmpty else { throw ValidationError("the key is empty") }
        if secret.utf8.count < 16 {
            // Refusing would be paternalistic for a test key; saying so is enough.
            FileHandle.standardError.write(Data("warning: a key of fewer than 16 characters is easy to guess; `openssl rand -hex 32` makes a good one\n".utf8))
        }
        print(Self.hash(secret))
    }

    static func hash(_ key: String) -> String { SHA256.hex(key) }
}
