import SlipwayCore

/// Words both dialects use for stored values that read as themselves.
enum QueryWords {
    static let environments = QueryCatalog.identityWords(DeploymentEnvironment.allCases.map(\.rawValue))
    static let kinds = QueryCatalog.identityWords(ProjectKind.allCases.map(\.rawValue))
}
