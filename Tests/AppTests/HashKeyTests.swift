import Testing
@testable import App

@Suite struct HashKeyTests {
    @Test func hashIsTheSHA256OfTheKeyInHex() {
        // FIPS 180-2 test vector for "abc".
        #expect(HashKeyCommand.hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
