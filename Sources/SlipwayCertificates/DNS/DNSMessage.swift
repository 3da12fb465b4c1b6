/// The two DNS messages a TXT lookup needs (RFC 1035 §4): the query, and the TXT strings read out of its answer.
/// Plain bytes in, plain values out; `DNSTextLookup` sends them.
public enum DNSMessage {
    /// The record type TXT (RFC 1035 §3.2.2) and the class IN.
    static let typeTXT: UInt16 = 16
    static let classIN: UInt16 = 1

    /// Why a name cannot be asked about or an answer cannot be read.
    public enum Problem: Error, Equatable, CustomStringConvertible {
        case unusableName(String)
        case malformedAnswer(String)
        /// The server's response code (RFC 1035 §4.1.1: 2 server failure, 5 refused; 3, no such name, is not a
        /// problem: it is an answer with no records).
        case serverFailure(code: Int)
        /// The answer did not fit in one datagram (TC): the records were not all there.
        case truncated

        public var description: String {
            switch self {
            case .unusableName(let name): "\(name) cannot be asked about in DNS"
            case .malformedAnswer(let why): "the DNS answer cannot be read: \(why)"
            case .serverFailure(let code): "the DNS server answered with error code \(code)"
            case .truncated: "the DNS answer was truncated"
            }
        }
    }

    /// A query for the TXT records of `name` (a host name in ASCII, a trailing dot or not), recursion desired.
    public static func textQuery(id: UInt16, name: String) throws(Problem) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.append(contentsOf: bigEndian(id))
        bytes.append(contentsOf: [0x01, 0x00])  // QR 0, opcode 0, RD 1
        bytes.append(contentsOf: [0, 1, 0, 0, 0, 0, 0, 0])  // one question, no answers, authorities or additionals
        let absolute = name.hasSuffix(".") ? String(name.dropLast()) : name
        let labels = absolute.split(separator: ".", omittingEmptySubsequences: false)
        guard !labels.isEmpty, name.utf8.count <= 253 else { throw .unusableName(name) }
        for label in labels {
            let utf8 = Array(label.utf8)
            guard !utf8.isEmpty, utf8.count <= 63, utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { throw .unusableName(name) }
            bytes.append(UInt8(utf8.count))
            bytes.append(contentsOf: utf8)
        }
        bytes.append(0)
        bytes.append(contentsOf: bigEndian(typeTXT))
        bytes.append(contentsOf: bigEndian(classIN))
        return bytes
    }

    /// The TXT records in the answer to query `id` (each record's character-strings joined, RFC 7208 §3.3 style);
    /// empty when the name has none (or does not exist). Records of other types (a CNAME on the way) are skipped.
    public static func textRecords(in answer: [UInt8], id: UInt16) throws(Problem) -> [String] {
        var reader = Reader(bytes: answer)
        guard let answerID = reader.uint16(), let flags = reader.uint16(), let questions = reader.uint16(), let answers = reader.uint16(),
            reader.skip(4)
        else { throw .malformedAnswer("shorter than its header") }
        guard answerID == id else { throw .malformedAnswer("the answer is to another query") }
        guard flags & 0x8000 != 0 else { throw .malformedAnswer("not a response") }
        if flags & 0x0200 != 0 { throw .truncated }
        let code = Int(flags & 0x000F)
        if code == 3 { return [] }
        guard code == 0 else { throw .serverFailure(code: code) }
        for _ in 0..<questions {
            guard reader.skipName(), reader.skip(4) else { throw .malformedAnswer("its question is cut short") }
        }
        var records: [String] = []
        for _ in 0..<answers {
            guard reader.skipName(), let type = reader.uint16(), let recordClass = reader.uint16(), reader.skip(4), let length = reader.uint16(),
                let slice = reader.bytes(Int(length))
            else { throw .malformedAnswer("a record is cut short") }
            let data = Array(slice)
            guard type == typeTXT, recordClass == classIN else { continue }
            var text: [UInt8] = []
            var index = 0
            while index < data.count {
                let count = Int(data[index])
                guard index + 1 + count <= data.count else { throw .malformedAnswer("a TXT string runs past its record") }
                text.append(contentsOf: data[(index + 1)..<(index + 1 + count)])
                index += 1 + count
            }
            records.append(String(decoding: text, as: UTF8.self))
        }
        return records
    }

    private static func bigEndian(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }

    /// Reads a message front to back; every read is bounded by the message.
    private struct Reader {
        let bytes: [UInt8]
        var index = 0

        mutating func uint16() -> UInt16? {
            guard index + 2 <= bytes.count else { return nil }
            defer { index += 2 }
            return UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1])
        }

        mutating func skip(_ count: Int) -> Bool {
            guard index + count <= bytes.count else { return false }
            index += count
            return true
        }

        mutating func bytes(_ count: Int) -> ArraySlice<UInt8>? {
            guard index + count <= bytes.count else { return nil }
            defer { index += count }
            return bytes[index..<(index + count)]
        }

        /// Skips a name: labels up to the root, or up to a compression pointer (which ends it, RFC 1035 §4.1.4).
        mutating func skipName() -> Bool {
            while index < bytes.count {
                let length = bytes[index]
                if length & 0xC0 == 0xC0 { return skip(2) }
                guard length & 0xC0 == 0 else { return false }
                index += 1
                if length == 0 { return true }
                guard skip(Int(length)) else { return false }
            }
            return false
        }
    }
}
