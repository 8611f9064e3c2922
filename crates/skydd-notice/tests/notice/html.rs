//! A small HTML well-formedness checker for the tests: every element closed in order (void
//! elements excepted), attributes quoted, entities known, a doctype and a `lang`, headings that
//! never skip a level, no script and no external resource.

/// Elements that have no end tag.
const VOID: &[&str] = &["meta", "br", "hr", "img", "input", "link"];

/// Check `html`; `Err` says what is wrong and where.
pub(crate) fn check_well_formed(html: &str) -> Result<(), String> {
    let rest = html
        .strip_prefix("<!DOCTYPE html>\n")
        .ok_or("the page must start with <!DOCTYPE html>")?;
    let mut stack: Vec<String> = Vec::new();
    let mut last_heading = 0u8;
    let mut saw_lang = false;
    let mut ids: Vec<String> = Vec::new();
    let mut hrefs: Vec<String> = Vec::new();
    let mut chars = rest.char_indices().peekable();
    let bytes = rest;
    while let Some((at, c)) = chars.next() {
        match c {
            '<' => {
                let end = bytes[at..]
                    .find('>')
                    .map(|e| at + e)
                    .ok_or_else(|| format!("unclosed tag at byte {at}"))?;
                let tag = &bytes[at + 1..end];
                // Skip the tag's characters.
                while chars.peek().is_some_and(|(i, _)| *i <= end) {
                    chars.next();
                }
                if let Some(name) = tag.strip_prefix('/') {
                    let open = stack
                        .pop()
                        .ok_or_else(|| format!("</{name}> closes nothing at byte {at}"))?;
                    if open != name {
                        return Err(format!("</{name}> closes <{open}> at byte {at}"));
                    }
                    continue;
                }
                let (name, attributes) = match tag.find(char::is_whitespace) {
                    Some(space) => (&tag[..space], tag[space..].trim()),
                    None => (tag, ""),
                };
                if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
                    return Err(format!("bad tag name `{name}` at byte {at}"));
                }
                if name == "script" || name == "iframe" || name == "object" {
                    return Err(format!("<{name}> is not allowed"));
                }
                for (key, value) in parse_attributes(attributes)
                    .map_err(|e| format!("{e} in <{name}> at byte {at}"))?
                {
                    check_entities(&value)?;
                    match key.as_str() {
                        "src" => return Err(format!("external resource in <{name}>")),
                        "lang" if name == "html" => saw_lang = !value.is_empty(),
                        "id" => {
                            if ids.contains(&value) {
                                return Err(format!("duplicate id `{value}`"));
                            }
                            ids.push(value);
                        }
                        "href" if name == "link" => {
                            return Err("no <link> to external resources".to_owned());
                        }
                        "href" => hrefs.push(value),
                        key if key.starts_with("on") => {
                            return Err(format!("event handler `{key}` in <{name}>"));
                        }
                        _ => {}
                    }
                }
                if let Some(level) = name
                    .strip_prefix('h')
                    .and_then(|n| n.parse::<u8>().ok())
                    .filter(|n| (1..=6).contains(n))
                {
                    if level > last_heading + 1 {
                        return Err(format!(
                            "<h{level}> follows <h{last_heading}>: a skipped level"
                        ));
                    }
                    last_heading = level;
                }
                if !VOID.contains(&name) {
                    stack.push(name.to_owned());
                }
            }
            '&' => {
                let end = bytes[at..]
                    .find(';')
                    .map(|e| at + e)
                    .ok_or_else(|| format!("bare & at byte {at}"))?;
                check_entities(&bytes[at..=end])?;
            }
            '>' => return Err(format!("bare > at byte {at}")),
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err(format!("unclosed elements: {stack:?}"));
    }
    if !saw_lang {
        return Err("<html> has no lang attribute".to_owned());
    }
    for href in hrefs {
        if let Some(anchor) = href.strip_prefix('#')
            && !ids.iter().any(|id| id == anchor)
        {
            return Err(format!("link to a missing anchor #{anchor}"));
        }
    }
    Ok(())
}

fn parse_attributes(mut text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    loop {
        text = text.trim_start();
        if text.is_empty() {
            return Ok(out);
        }
        let key_end = text
            .find(|c: char| c == '=' || c.is_whitespace())
            .unwrap_or(text.len());
        let key = &text[..key_end];
        if !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') || key.is_empty() {
            return Err(format!("bad attribute name `{key}`"));
        }
        text = &text[key_end..];
        let Some(after) = text.strip_prefix("=\"") else {
            return Err(format!("attribute `{key}` is not double-quoted"));
        };
        let close = after
            .find('"')
            .ok_or_else(|| format!("attribute `{key}` is not closed"))?;
        let value = &after[..close];
        if value.contains('<') {
            return Err(format!("unescaped < in attribute `{key}`"));
        }
        out.push((key.to_owned(), value.to_owned()));
        text = &after[close + 1..];
    }
}

fn check_entities(text: &str) -> Result<(), String> {
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        let tail = &rest[at..];
        let end = tail.find(';').ok_or("bare & without ;")?;
        let entity = &tail[..=end];
        let known = ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"];
        if !known.contains(&entity) {
            return Err(format!("unknown entity {entity}"));
        }
        rest = &tail[end + 1..];
    }
    Ok(())
}

#[test]
fn the_checker_catches_broken_pages() {
    let ok = "<!DOCTYPE html>\n<html lang=\"en\"><body><h1>a</h1><h2 id=\"x\">b</h2><a href=\"#x\">c</a></body></html>";
    assert_eq!(check_well_formed(ok), Ok(()));
    for broken in [
        "<html lang=\"en\"></html>",
        "<!DOCTYPE html>\n<html></html>",
        "<!DOCTYPE html>\n<html lang=\"en\"><p></html>",
        "<!DOCTYPE html>\n<html lang=\"en\"><h1>a</h1><h3>b</h3></html>",
        "<!DOCTYPE html>\n<html lang=\"en\"><p>a & b</p></html>",
        "<!DOCTYPE html>\n<html lang=\"en\"><p>a < b</p></html>",
        "<!DOCTYPE html>\n<html lang=\"en\"><script>x</script></html>",
        "<!DOCTYPE html>\n<html lang=\"en\"><img src=\"https://x\"></html>",
        "<!DOCTYPE html>\n<html lang=\"en\"><a href=\"#nowhere\">x</a></html>",
        "<!DOCTYPE html>\n<html lang=en></html>",
    ] {
        assert!(check_well_formed(broken).is_err(), "accepted: {broken}");
    }
}
