import Foundation
import Testing
@testable import App

@Suite struct OpenAPIDocumentTests {
    @Test func embeddedDocumentIsTheRepositoryFile() throws {
        let file = try String(contentsOfFile: repositoryRoot + "/openapi.yaml", encoding: .utf8)
        // A multi-line literal drops the final newline; compare without it.
        let expected = file.hasSuffix("\n") ? String(file.dropLast()) : file
        #expect(OpenAPIDocument.yaml == expected, "run scripts/embed-openapi.sh after editing openapi.yaml")
    }
}
