import CygnetRuntime
import Hummingbird
import Mustache

/// Renders cygnet-auth's HTML pages; mustache escapes every value, so user input cannot inject markup.
public struct PageRenderer: Sendable {
    private let library: MustacheLibrary

    public init() throws {
        var library = MustacheLibrary()
        for (name, text) in PageTemplates.all { try library.register(text, named: name) }
        self.library = library
    }

    func render(
        _ template: String, _ values: [String: Any], status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]
    )
        -> Response
    {
        var fields = headers
        fields[.init("Content-Security-Policy")!] =
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'"
        return HTMLPage.response(
            library.render(values, withTemplate: template) ?? "page \(template) is missing", status: status,
            headers: fields)
    }

    func message(
        title: String, text: String, hint: String? = nil, isError: Bool = false, status: HTTPResponse.Status = .ok,
        signOutAction: String? = nil, csrfToken: String? = nil, headers: HTTPFields = [:]
    ) -> Response {
        var values: [String: Any] = ["title": title, "text": text, "isError": isError]
        if let hint { values["hint"] = hint }
        if let signOutAction { values["signOutAction"] = signOutAction }
        if let csrfToken { values["csrfToken"] = csrfToken }
        return render("message", values, status: status, headers: headers)
    }
}
