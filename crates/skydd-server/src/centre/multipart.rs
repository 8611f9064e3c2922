//! `multipart/form-data` (RFC 7578), as far as the privacy centre's upload form needs it: named
//! parts, an optional file name, and the bytes of each part borrowed from the body. The body is
//! read whole first (its route bounds it), so the parser never waits and never allocates a
//! part's bytes.
//!
//! Refusals say what is wrong with the structure, never what a part held.

/// One part of a form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Part<'a> {
    /// The form field's name (`Content-Disposition: form-data; name="..."`).
    pub(crate) name: String,
    /// The file's name as the browser sent it, for a file field.
    pub(crate) filename: Option<String>,
    /// The part's bytes.
    pub(crate) data: &'a [u8],
}

/// Why a body is not a form this parser reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the multipart body is malformed: {0}")]
pub(crate) struct MultipartError(&'static str);

/// At most this many parts (the upload form has two).
const MAX_PARTS: usize = 16;

/// At most this many bytes of headers per part.
const MAX_HEADER_BYTES: usize = 8 * 1024;

/// The boundary of a `Content-Type: multipart/form-data; boundary=...` header: 1 to 70
/// characters, quoted or not.
pub(crate) fn boundary(content_type: &str) -> Option<String> {
    let (media_type, rest) = content_type.split_once(';')?;
    if !media_type
        .trim()
        .eq_ignore_ascii_case("multipart/form-data")
    {
        return None;
    }
    let boundary = parameters(rest)
        .into_iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("boundary"))?
        .1;
    (1..=70).contains(&boundary.len()).then_some(boundary)
}

/// The parts of `body`, a `multipart/form-data` body delimited by `boundary`.
pub(crate) fn parse<'a>(body: &'a [u8], boundary: &str) -> Result<Vec<Part<'a>>, MultipartError> {
    let delimiter = format!("--{boundary}").into_bytes();
    let closing: Vec<u8> = [b"\r\n".as_slice(), &delimiter].concat();
    // A preamble before the first delimiter is allowed (and ignored).
    let first = if body.starts_with(&delimiter) {
        0
    } else {
        find(body, &closing, 0).ok_or(MultipartError("no boundary"))? + 2
    };
    let mut at = first + delimiter.len();
    let mut parts = Vec::new();
    loop {
        let rest = body.get(at..).ok_or(MultipartError("cut short"))?;
        if rest.starts_with(b"--") {
            return Ok(parts);
        }
        // Transport padding, then the line break that ends the delimiter line.
        let padding = rest
            .iter()
            .take_while(|b| **b == b' ' || **b == b'\t')
            .count();
        at += padding;
        if !body.get(at..).is_some_and(|r| r.starts_with(b"\r\n")) {
            return Err(MultipartError("no line break after a boundary"));
        }
        at += 2;
        let (headers, data_start) = if body.get(at..).is_some_and(|r| r.starts_with(b"\r\n")) {
            ("", at + 2)
        } else {
            let end = find(body, b"\r\n\r\n", at).ok_or(MultipartError("headers not ended"))?;
            let raw = body.get(at..end).ok_or(MultipartError("cut short"))?;
            if raw.len() > MAX_HEADER_BYTES {
                return Err(MultipartError("headers too long"));
            }
            let text = std::str::from_utf8(raw).map_err(|_| MultipartError("headers not UTF-8"))?;
            (text, end + 4)
        };
        let (name, filename) = disposition(headers)?;
        let data_end = find(body, &closing, data_start).ok_or(MultipartError("part not ended"))?;
        let data = body
            .get(data_start..data_end)
            .ok_or(MultipartError("cut short"))?;
        parts.push(Part {
            name,
            filename,
            data,
        });
        if parts.len() > MAX_PARTS {
            return Err(MultipartError("too many parts"));
        }
        at = data_end + closing.len();
    }
}

/// The name and file name of a part's `Content-Disposition: form-data` header.
fn disposition(headers: &str) -> Result<(String, Option<String>), MultipartError> {
    let value = headers
        .split("\r\n")
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.trim()
                .eq_ignore_ascii_case("content-disposition")
                .then_some(value)
        })
        .ok_or(MultipartError("a part has no Content-Disposition"))?;
    let (kind, rest) = value.split_once(';').unwrap_or((value, ""));
    if !kind.trim().eq_ignore_ascii_case("form-data") {
        return Err(MultipartError("a part is not form-data"));
    }
    let parameters = parameters(rest);
    let find = |wanted: &str| {
        parameters
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(wanted))
            .map(|(_, value)| value.clone())
    };
    let name = find("name").ok_or(MultipartError("a part has no name"))?;
    Ok((name, find("filename")))
}

/// The `; name=value` parameters of a header value, values unquoted (`"a \"b\""` → `a "b"`).
fn parameters(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace() || *c == ';').is_some() {}
        let name: String =
            std::iter::from_fn(|| chars.next_if(|c| *c != '=' && *c != ';')).collect();
        if name.trim().is_empty() {
            if chars.peek().is_none() {
                return out;
            }
            chars.next();
            continue;
        }
        let mut value = String::new();
        if chars.next_if_eq(&'=').is_some() {
            while chars.next_if(|c| *c == ' ').is_some() {}
            if chars.next_if_eq(&'"').is_some() {
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => value.extend(chars.next()),
                        c => value.push(c),
                    }
                }
            } else {
                value = std::iter::from_fn(|| chars.next_if(|c| *c != ';'))
                    .collect::<String>()
                    .trim()
                    .to_owned();
            }
        }
        out.push((name.trim().to_owned(), value));
    }
}

/// Where `needle` first occurs in `haystack` at or after `from`.
fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    let first = *needle.first()?;
    let last_start = haystack.len().checked_sub(needle.len())?;
    let mut at = from;
    while at <= last_start {
        let offset = haystack
            .get(at..=last_start)?
            .iter()
            .position(|b| *b == first)?;
        let candidate = at + offset;
        if haystack.get(candidate..)?.starts_with(needle) {
            return Some(candidate);
        }
        at = candidate + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// A body as browsers write it: each part's headers, a blank line, its bytes.
    fn encode(boundary: &str, parts: &[(String, Option<String>, Vec<u8>)]) -> Vec<u8> {
        let mut body = Vec::new();
        for (name, filename, data) in parts {
            body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
            let file = filename
                .as_ref()
                .map(|f| format!("; filename=\"{f}\""))
                .unwrap_or_default();
            body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"{file}\r\n").as_bytes(),
            );
            if filename.is_some() {
                body.extend_from_slice(b"Content-Type: application/octet-stream\r\n");
            }
            body.extend_from_slice(b"\r\n");
            body.extend_from_slice(data);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        body
    }

    #[test]
    fn a_browser_form_is_read() {
        let boundary = "----WebKitFormBoundary7MA4YWxkTrZu0gW";
        assert_eq!(
            super::boundary(&format!("multipart/form-data; boundary={boundary}")),
            Some(boundary.to_owned())
        );
        assert_eq!(
            super::boundary("Multipart/Form-Data; charset=utf-8; boundary=\"a b\""),
            Some("a b".to_owned())
        );
        assert_eq!(super::boundary("application/x-www-form-urlencoded"), None);
        assert_eq!(super::boundary("multipart/form-data"), None);

        let pdf = b"%PDF-1.7\r\n--not the boundary\r\n\x00\xff".to_vec();
        let body = encode(
            boundary,
            &[
                ("_csrf".into(), None, b"token".to_vec()),
                ("document".into(), Some("pass port.pdf".into()), pdf.clone()),
            ],
        );
        let parts = parse(&body, boundary).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(
            (parts[0].name.as_str(), parts[0].data),
            ("_csrf", &b"token"[..])
        );
        assert_eq!(parts[1].filename.as_deref(), Some("pass port.pdf"));
        assert_eq!(parts[1].data, pdf.as_slice());
    }

    #[test]
    fn malformed_bodies_are_refused() {
        let b = "XyZ";
        for body in [
            &b""[..],
            b"--XyZ",
            b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno end",
            b"--XyZ\r\nContent-Type: text/plain\r\n\r\nx\r\n--XyZ--",
            b"--XyZ\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--XyZ--",
            b"--XyZ\r\nContent-Disposition: form-data\r\n\r\nx\r\n--XyZ--",
        ] {
            assert!(parse(body, b).is_err(), "{}", String::from_utf8_lossy(body));
        }
        assert_eq!(parse(b"--XyZ--\r\n", b).unwrap(), vec![]);
    }

    #[test]
    fn quoted_parameters_are_unescaped() {
        assert_eq!(
            parameters("; name=\"a \\\"b\\\"\"; filename=x.pdf"),
            vec![
                ("name".to_owned(), "a \"b\"".to_owned()),
                ("filename".to_owned(), "x.pdf".to_owned())
            ]
        );
    }

    proptest! {
        /// Whatever the bytes, the parser answers without panicking.
        #[test]
        fn never_panics(body in proptest::collection::vec(any::<u8>(), 0..512), boundary in "[a-zA-Z0-9'()+_,./:=?-]{1,20}") {
            let _ = parse(&body, &boundary);
            let _ = super::boundary(&String::from_utf8_lossy(&body));
        }

        /// What a browser encodes is read back, part for part, whatever the parts hold.
        #[test]
        fn round_trip(
            parts in proptest::collection::vec(
                ("[a-z_]{1,12}", proptest::option::of("[a-zA-Z0-9 ._-]{1,20}"), proptest::collection::vec(any::<u8>(), 0..300)),
                0..5,
            ),
        ) {
            let boundary = "----skyddBoundary0123456789";
            let body = encode(boundary, &parts);
            let read = parse(&body, boundary).unwrap();
            prop_assert_eq!(read.len(), parts.len());
            for (read, (name, filename, data)) in read.iter().zip(&parts) {
                prop_assert_eq!(&read.name, name);
                prop_assert_eq!(&read.filename, filename);
                prop_assert_eq!(read.data, data.as_slice());
            }
        }
    }
}
