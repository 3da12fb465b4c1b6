import Hummingbird
import SlipwayCore

extension Request {
    /// The values of the query-string parameters a listing parser reads (the last one when a name repeats).
    func listingParameters(for parser: DeploymentQueryParser) -> [String: String] {
        let parameters = uri.queryParameters
        var values: [String: String] = [:]
        for name in parser.parameterNames {
            if let value = parameters.getAll(name).last { values[name] = String(value) }
        }
        return values
    }
}
