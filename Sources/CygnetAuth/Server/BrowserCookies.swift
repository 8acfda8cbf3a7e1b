import CygnetRuntime
import Foundation
import Hummingbird

/// The two cookies of cygnet-auth's pages: the sign-in session (single sign-on) and the CSRF token that the
/// login and sign-out forms must echo (double-submit).
struct BrowserCookies: Sendable {
    static let session = "cygnet_auth_session"
    static let csrf = "cygnet_auth_csrf"
    let secure: Bool
    let path = "/auth"

    func sessionCookie(_ value: String, lifetime: Duration) -> Cookie {
        Cookie(
            name: Self.session, value: value, maxAge: Int(lifetime.components.seconds), path: path, secure: secure,
            httpOnly: true, sameSite: .lax)
    }

    func expiredSession() -> Cookie {
        Cookie(name: Self.session, value: "", maxAge: 0, path: path, secure: secure, httpOnly: true, sameSite: .lax)
    }

    func csrfCookie(_ value: String) -> Cookie {
        Cookie(name: Self.csrf, value: value, path: path, secure: secure, httpOnly: true, sameSite: .strict)
    }

    /// The CSRF token already in the browser, or a new one to set.
    static func csrfToken(in request: Request) -> (token: String, isNew: Bool) {
        if let existing = request.cookies[csrf]?.value, existing.count >= 32 { return (existing, false) }
        return (SecretDigest.newSecret(), true)
    }

    /// Constant-time check that the form echoes the cookie.
    static func csrfMatches(request: Request, formValue: String?) -> Bool {
        guard let cookie = request.cookies[csrf]?.value, let formValue, cookie.count >= 32 else { return false }
        return ConstantTime.equals(cookie, formValue)
    }
}
