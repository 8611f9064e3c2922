//! The public face of an instance: the address people reach it at (links in messages), the
//! company's name, logo and colour on the privacy centre, and the website origins allowed to
//! call it from a browser (CORS on intake and the banner log).

use std::path::Path;

/// Why a public-site setting was refused: what, and how to write it.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{what}; {help}")]
pub struct SiteError {
    /// What is wrong (quotes the setting, never personal data: these are configuration).
    pub what: String,
    /// How to fix it.
    pub help: String,
}

fn refused(what: impl Into<String>, help: impl Into<String>) -> SiteError {
    SiteError {
        what: what.into(),
        help: help.into(),
    }
}

/// An origin a browser sends (`https://www.example.com`, `http://localhost:8000`): scheme,
/// host and port only, lower-cased, no trailing slash.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin(String);

impl Origin {
    /// Read an origin as written in the settings; refuses paths, queries, user info and other
    /// schemes than http and https.
    pub fn parse(text: &str) -> Result<Origin, SiteError> {
        let text = text.trim().trim_end_matches('/');
        let help = "write the scheme, host and port only, as a browser sends it in `Origin`: \
                    https://www.example.com";
        let lower = text.to_ascii_lowercase();
        let rest = lower
            .strip_prefix("https://")
            .or_else(|| lower.strip_prefix("http://"))
            .ok_or_else(|| refused(format!("origin `{text}` is not http or https"), help))?;
        let host_ok = !rest.is_empty()
            && rest
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
        if !host_ok {
            return Err(refused(
                format!("origin `{text}` has more than a scheme, host and port"),
                help,
            ));
        }
        Ok(Origin(lower))
    }

    /// The origin as a browser sends it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A `#rrggbb` colour for the privacy centre's accent (buttons, links, the header rule).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Colour(String);

impl Colour {
    /// Read `#rrggbb` (or `#rgb`, widened); anything else is refused, so the value can go into
    /// a style sheet as it is.
    pub fn parse(text: &str) -> Result<Colour, SiteError> {
        let text = text.trim();
        let help = "write a hex colour such as #1d4ed8";
        let digits = text
            .strip_prefix('#')
            .filter(|d| (d.len() == 6 || d.len() == 3) && d.chars().all(|c| c.is_ascii_hexdigit()))
            .ok_or_else(|| refused(format!("colour `{text}` is not #rrggbb"), help))?
            .to_ascii_lowercase();
        let digits = if digits.len() == 3 {
            digits.chars().flat_map(|c| [c, c]).collect()
        } else {
            digits
        };
        Ok(Colour(format!("#{digits}")))
    }

    /// `#rrggbb`, lower case.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The company's logo: an image served by Skydd itself (`/privacy-centre/logo`), so the pages
/// load nothing from another origin.
#[derive(Clone, PartialEq, Eq)]
pub struct Logo {
    /// `image/svg+xml`, `image/png` or `image/jpeg`, from the file's content.
    pub media_type: &'static str,
    /// The file.
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for Logo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Logo")
            .field("media_type", &self.media_type)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

/// The largest logo read, in bytes.
pub const MAX_LOGO_BYTES: usize = 256 * 1024;

impl Logo {
    /// Read a logo file; its type is taken from its first bytes, not its name.
    pub fn read(path: &Path) -> Result<Logo, SiteError> {
        let bytes = std::fs::read(path).map_err(|e| {
            refused(
                format!("cannot read the logo {}: {e}", path.display()),
                "name an SVG, PNG or JPEG file the server can read",
            )
        })?;
        Logo::from_bytes(bytes).map_err(|e| SiteError {
            what: format!("the logo {}: {}", path.display(), e.what),
            help: e.help,
        })
    }

    /// A logo from its bytes: SVG, PNG or JPEG by content, at most [`MAX_LOGO_BYTES`].
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Logo, SiteError> {
        if bytes.len() > MAX_LOGO_BYTES {
            return Err(refused(
                format!("is {} bytes, more than {MAX_LOGO_BYTES}", bytes.len()),
                "use a smaller image (an SVG is best)",
            ));
        }
        let head = &bytes[..bytes.len().min(512)];
        let media_type = if head.starts_with(b"\x89PNG\r\n\x1a\n") {
            "image/png"
        } else if head.starts_with(&[0xff, 0xd8, 0xff]) {
            "image/jpeg"
        } else if String::from_utf8_lossy(head).contains("<svg") {
            "image/svg+xml"
        } else {
            return Err(refused(
                "is not an SVG, PNG or JPEG image",
                "use an SVG, PNG or JPEG file",
            ));
        };
        Ok(Logo { media_type, bytes })
    }
}

/// The company's brand on the privacy centre. Left out, the centre uses the register's
/// controller name, no logo and Skydd's own colour.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Brand {
    /// The name shown in the header; `None`: the register's controller name.
    pub name: Option<String>,
    /// The logo shown beside the name.
    pub logo: Option<Logo>,
    /// The accent colour.
    pub colour: Option<Colour>,
}

/// How the instance faces the public. Built by `skydd serve` from `--public-url`,
/// `--allowed-origin` and `--brand-*`; the default is a local instance with no website.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublicSite {
    /// The address people reach Skydd at, without a trailing slash
    /// (`https://privacy.example.com`): magic links and links in messages start with it.
    /// `None`: links are written relative to the server's own address as the request that
    /// caused them reached it.
    pub url: Option<String>,
    /// The company's brand on the privacy centre.
    pub brand: Brand,
    /// Website origins whose pages may call intake and the banner log from a browser (CORS);
    /// empty: only the instance's own pages.
    pub allowed_origins: Vec<Origin>,
}

impl PublicSite {
    /// Read `--public-url`: http or https, no query or fragment; a trailing slash is dropped.
    pub fn parse_url(text: &str) -> Result<String, SiteError> {
        let text = text.trim().trim_end_matches('/');
        let help = "write the address people reach Skydd at, such as https://privacy.example.com";
        let rest = text
            .strip_prefix("https://")
            .or_else(|| text.strip_prefix("http://"))
            .ok_or_else(|| refused(format!("public URL `{text}` is not http or https"), help))?;
        if rest.is_empty() || rest.contains(['?', '#', ' ', '"', '<', '>']) {
            return Err(refused(
                format!("public URL `{text}` has no host, or a query or fragment"),
                help,
            ));
        }
        Ok(text.to_owned())
    }

    /// Whether a browser page from `origin` may call the public routes that allow websites.
    pub fn allows_origin(&self, origin: &str) -> bool {
        Origin::parse(origin).is_ok_and(|o| self.allowed_origins.contains(&o))
    }

    /// An absolute link to `path` (which starts with `/`) on this instance: the public URL
    /// when set, else `fallback_base` (scheme and host the request reached the server with).
    pub fn link(&self, fallback_base: &str, path: &str) -> String {
        let base = self.url.as_deref().unwrap_or(fallback_base);
        format!("{}{path}", base.trim_end_matches('/'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_scheme_host_and_port_only() {
        assert_eq!(
            Origin::parse("https://WWW.Example.com/").unwrap().as_str(),
            "https://www.example.com"
        );
        assert!(Origin::parse("http://localhost:8000").is_ok());
        assert!(Origin::parse("https://example.com/path").is_err());
        assert!(Origin::parse("ftp://example.com").is_err());
        assert!(Origin::parse("https://user@example.com").is_err());
        assert!(Origin::parse("*").is_err());
    }

    #[test]
    fn allowed_origins_match_as_browsers_send_them() {
        let site = PublicSite {
            allowed_origins: vec![Origin::parse("https://www.example.com").unwrap()],
            ..PublicSite::default()
        };
        assert!(site.allows_origin("https://www.example.com"));
        assert!(!site.allows_origin("https://evil.example.com"));
        assert!(!site.allows_origin("null"));
    }

    #[test]
    fn colours_are_hex_only() {
        assert_eq!(Colour::parse("#ABC").unwrap().as_str(), "#aabbcc");
        assert_eq!(Colour::parse("#1d4ed8").unwrap().as_str(), "#1d4ed8");
        assert!(Colour::parse("red").is_err());
        assert!(Colour::parse("#12345g").is_err());
        assert!(Colour::parse("#123;}body{").is_err());
    }

    #[test]
    fn logos_are_typed_by_content() {
        assert_eq!(
            Logo::from_bytes(b"\x89PNG\r\n\x1a\nrest".to_vec())
                .unwrap()
                .media_type,
            "image/png"
        );
        assert_eq!(
            Logo::from_bytes(b"<?xml version=\"1.0\"?><svg></svg>".to_vec())
                .unwrap()
                .media_type,
            "image/svg+xml"
        );
        assert!(Logo::from_bytes(b"GIF89a".to_vec()).is_err());
        assert!(Logo::from_bytes(vec![0; MAX_LOGO_BYTES + 1]).is_err());
    }

    #[test]
    fn links_use_the_public_url_when_set() {
        let mut site = PublicSite::default();
        assert_eq!(
            site.link("http://127.0.0.1:8080", "/privacy-centre"),
            "http://127.0.0.1:8080/privacy-centre"
        );
        site.url = Some(PublicSite::parse_url("https://privacy.example.com/").unwrap());
        assert_eq!(
            site.link("http://127.0.0.1:8080", "/privacy-centre"),
            "https://privacy.example.com/privacy-centre"
        );
        assert!(PublicSite::parse_url("privacy.example.com").is_err());
        assert!(PublicSite::parse_url("https://x.example?a=b").is_err());
    }
}
