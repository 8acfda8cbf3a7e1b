import CygnetRuntime
import Hummingbird
import Mustache

/// Renders the hub's pages; mustache escapes every value, so user input cannot inject markup.
struct HubPages: Sendable {
    private let library: MustacheLibrary

    init() throws {
        var library = MustacheLibrary()
        for (name, text) in HubTemplates.all { try library.register(text, named: name) }
        self.library = library
    }

    func render(_ template: String, _ values: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        HTMLPage.response(
            library.render(values, withTemplate: template) ?? "page \(template) is missing", status: status,
            referrerPolicy: "same-origin")
    }

    func message(
        title: String, text: String, notice: String? = nil, link: (String, String)? = nil, isError: Bool = true,
        status: HTTPResponse.Status, userName: String? = nil
    ) -> Response {
        var values: [String: Any] = ["title": title, "heading": title, "text": text, "isError": isError]
        if let notice { values["notice"] = notice }
        if let link {
            values["linkText"] = link.0
            values["linkURL"] = link.1
        }
        if let userName { values["userName"] = userName }
        return render("message", values, status: status)
    }
}
