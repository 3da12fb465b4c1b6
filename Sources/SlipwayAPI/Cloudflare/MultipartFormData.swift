import Foundation
import SlipwayCore

/// A small, strict reader of `multipart/form-data` bodies made of text fields only (RFC 7578): enough for the
/// Cloudflare create's `branch`, `commit_hash`, `commit_message` and `commit_dirty`. File parts, a missing
/// boundary, a part without a name, a repeated field or a body that does not end with the closing boundary are
/// 400s that say so.
enum MultipartFormData {
    /// The boundary of a `multipart/form-data` content type, or nil when the type is something else.
    static func boundary(contentType: String) throws -> String? {
        let parameters = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parameters.first?.lowercased() == "multipart/form-data" else { return nil }
        for parameter in parameters.dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2, pair[0].lowercased() == "boundary" else { continue }
            var value = pair[1]
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            guard (1...70).contains(value.count) else { break }
            return value
        }
        throw SlipwayError.invalid("Content-Type", "multipart/form-data needs a boundary of 1 to 70 characters")
    }

    /// The text fields of `body`, by name.
    static func fields(_ body: Data, boundary: String) throws -> [String: String] {
        let bytes = [UInt8](body)
        let delimiter = Array("--\(boundary)".utf8)
        let malformed = SlipwayError.invalid("body", "is not valid multipart/form-data with boundary '\(boundary)'")
        guard var position = find(delimiter, in: bytes, from: 0) else { throw malformed }
        var fields: [String: String] = [:]
        while true {
            position += delimiter.count
            if bytes[position...].starts(with: Array("--".utf8)) { return fields }
            guard bytes[position...].starts(with: [13, 10]) else { throw malformed }
            position += 2
            guard let headerEnd = find([13, 10, 13, 10], in: bytes, from: position) else { throw malformed }
            guard let headers = String(bytes: bytes[position..<headerEnd], encoding: .utf8) else { throw malformed }
            let contentStart = headerEnd + 4
            guard let next = find([13, 10] + delimiter, in: bytes, from: contentStart) else { throw malformed }
            let name = try fieldName(headers)
            guard fields[name] == nil else { throw SlipwayError.invalid(name, "is given more than once") }
            guard let value = String(bytes: bytes[contentStart..<next], encoding: .utf8) else {
                throw SlipwayError.invalid(name, "must be UTF-8 text")
            }
            fields[name] = value
            position = next + 2
        }
    }

    /// The `name` of a part's `Content-Disposition: form-data; name="…"`; a file part is refused.
    private static func fieldName(_ headers: String) throws -> String {
        for line in headers.components(separatedBy: "\r\n") {
            let pair = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, pair[0].lowercased() == "content-disposition" else { continue }
            let parameters = pair[1].split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard parameters.first?.lowercased() == "form-data" else { break }
            var name: String?
            for parameter in parameters.dropFirst() {
                let item = parameter.split(separator: "=", maxSplits: 1).map(String.init)
                guard item.count == 2 else { continue }
                var value = item[1]
                if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
                switch item[0].lowercased() {
                case "name": name = value
                case "filename": throw SlipwayError.invalid(name ?? "body", "file uploads are not supported: Slipway builds from git")
                default: continue
                }
            }
            if let name, !name.isEmpty { return name }
            break
        }
        throw SlipwayError.invalid("body", "every multipart part needs 'Content-Disposition: form-data; name=\"…\"'")
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
        var index = start
        while index <= haystack.count - needle.count {
            if haystack[index] == needle[0], haystack[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}
