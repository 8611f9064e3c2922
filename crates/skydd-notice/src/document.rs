//! A small document model (headings, paragraphs, lists, tables, links) and its two renderings,
//! HTML and Markdown, so that both formats always say the same thing.

use std::fmt::Write as _;

use skydd_register::model::{Choice as _, Language};

/// A piece of running text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inline {
    /// Plain text (escaped when rendered).
    Text(String),
    /// Strongly emphasised text (`<strong>`, `**...**`).
    Strong(String),
    /// A technical identifier (a field or cookie name), shown as code.
    Code(String),
    /// A link; a target other than web, mail, phone or same-site is shown as text with the
    /// target in parentheses instead.
    Link {
        /// What the reader sees.
        text: String,
        /// Where it goes (`https://...`, `mailto:...`, `tel:...`).
        href: String,
    },
}

/// Running text: a sequence of inlines.
pub type Line = Vec<Inline>;

/// A block of a section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A paragraph of running text (`<p>`).
    Paragraph(Line),
    /// A bulleted list.
    List(Vec<Line>),
    /// A sub-heading (level 3) inside a section.
    Subheading(String),
    /// A table with a header row.
    Table {
        /// Column headings.
        head: Vec<String>,
        /// Rows, each as many cells as there are headings.
        rows: Vec<Vec<Line>>,
    },
}

/// A numbered section with an anchor id, listed in the table of contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// Anchor id (`who-we-are`), the same in every language.
    pub id: String,
    /// Heading (`<h2>`), also the section's entry in the table of contents.
    pub heading: String,
    /// The blocks under the heading, in order.
    pub blocks: Vec<Block>,
}

/// A whole document: a title, lines under it, a table of contents and sections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// Language of the document.
    pub language: Language,
    /// Title (`<h1>`).
    pub title: String,
    /// Lines shown under the title (version, last updated).
    pub preamble: Vec<Line>,
    /// Heading of the table of contents; `None`: no table of contents.
    pub contents_heading: Option<String>,
    /// Sections in order.
    pub sections: Vec<Section>,
    /// Lines shown at the end (version, last updated again).
    pub footer: Vec<Line>,
}

/// Plain text as an inline.
pub fn text(value: impl Into<String>) -> Inline {
    Inline::Text(value.into())
}

/// A link as an inline.
pub fn link(value: impl Into<String>, href: impl Into<String>) -> Inline {
    Inline::Link {
        text: value.into(),
        href: href.into(),
    }
}

// ---- HTML ------------------------------------------------------------------------------------

/// Escape text for HTML element content and double-quoted attribute values.
pub fn escape_html(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Only web, mail and phone links and paths on the same site (`/privacy/versions`) are
/// rendered as links; anything else (`javascript:`, `//other.example` ...) is shown as text.
fn safe_href(href: &str) -> bool {
    let lower = href.trim_start().to_ascii_lowercase();
    let same_site_path =
        lower.starts_with('/') && !lower.starts_with("//") && !lower.starts_with("/\\");
    same_site_path
        || ["https://", "http://", "mailto:", "tel:", "#"]
            .iter()
            .any(|scheme| lower.starts_with(scheme))
}

/// The small inline style sheet: readable on a phone and in print, no external resources.
const STYLE: &str = "body{font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif;\
line-height:1.55;max-width:46rem;margin:0 auto;padding:1.5rem 1rem;color:#1b1b1b;background:#fff}\
h1{font-size:1.9rem;margin-bottom:.3rem}h2{margin-top:2.2rem;border-bottom:1px solid #ddd;\
padding-bottom:.2rem}h3{margin-top:1.4rem}a{color:#0b57a4}code{font-size:.92em;background:#f3f3f3;\
padding:0 .2em;border-radius:3px}table{border-collapse:collapse;width:100%;margin:.8rem 0}\
th,td{border:1px solid #ccc;padding:.35rem .5rem;text-align:left;vertical-align:top}\
th{background:#f3f3f3}nav ol{padding-left:1.4rem}.meta{color:#555}\
@media print{a{color:inherit}nav{display:none}}";

fn html_inline(out: &mut String, inline: &Inline) {
    match inline {
        Inline::Text(value) => out.push_str(&escape_html(value)),
        Inline::Strong(value) => {
            let _ = write!(out, "<strong>{}</strong>", escape_html(value));
        }
        Inline::Code(value) => {
            let _ = write!(out, "<code>{}</code>", escape_html(value));
        }
        Inline::Link { text, href } if safe_href(href) => {
            let _ = write!(
                out,
                "<a href=\"{}\">{}</a>",
                escape_html(href),
                escape_html(text)
            );
        }
        Inline::Link { text, href } => {
            let _ = write!(out, "{} ({})", escape_html(text), escape_html(href));
        }
    }
}

fn html_line(out: &mut String, line: &Line) {
    for inline in line {
        html_inline(out, inline);
    }
}

fn html_blocks(out: &mut String, blocks: &[Block]) {
    for block in blocks {
        match block {
            Block::Paragraph(line) => {
                out.push_str("<p>");
                html_line(out, line);
                out.push_str("</p>\n");
            }
            Block::Subheading(heading) => {
                let _ = writeln!(out, "<h3>{}</h3>", escape_html(heading));
            }
            Block::List(items) => {
                out.push_str("<ul>\n");
                for item in items {
                    out.push_str("<li>");
                    html_line(out, item);
                    out.push_str("</li>\n");
                }
                out.push_str("</ul>\n");
            }
            Block::Table { head, rows } => {
                out.push_str("<table>\n<thead><tr>");
                for cell in head {
                    let _ = write!(out, "<th scope=\"col\">{}</th>", escape_html(cell));
                }
                out.push_str("</tr></thead>\n<tbody>\n");
                for row in rows {
                    out.push_str("<tr>");
                    for cell in row {
                        out.push_str("<td>");
                        html_line(out, cell);
                        out.push_str("</td>");
                    }
                    out.push_str("</tr>\n");
                }
                out.push_str("</tbody>\n</table>\n");
            }
        }
    }
}

impl Document {
    /// A complete HTML5 page: doctype, `lang`, inline style, no script, no external resource.
    pub fn to_html(&self) -> String {
        let mut out = String::new();
        let _ = write!(
            out,
            "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n<h1>{}</h1>\n",
            self.language.word(),
            escape_html(&self.title),
            escape_html(&self.title),
        );
        for line in &self.preamble {
            out.push_str("<p class=\"meta\">");
            html_line(&mut out, line);
            out.push_str("</p>\n");
        }
        if let Some(heading) = &self.contents_heading {
            let _ = write!(
                out,
                "<nav aria-labelledby=\"contents\">\n<h2 id=\"contents\">{}</h2>\n<ol>\n",
                escape_html(heading)
            );
            for section in &self.sections {
                let _ = writeln!(
                    out,
                    "<li><a href=\"#{}\">{}</a></li>",
                    escape_html(&section.id),
                    escape_html(&section.heading)
                );
            }
            out.push_str("</ol>\n</nav>\n");
        }
        for section in &self.sections {
            let _ = writeln!(
                out,
                "<section aria-labelledby=\"{0}\">\n<h2 id=\"{0}\">{1}</h2>",
                escape_html(&section.id),
                escape_html(&section.heading)
            );
            html_blocks(&mut out, &section.blocks);
            out.push_str("</section>\n");
        }
        if !self.footer.is_empty() {
            out.push_str("<footer>\n");
            for line in &self.footer {
                out.push_str("<p class=\"meta\">");
                html_line(&mut out, line);
                out.push_str("</p>\n");
            }
            out.push_str("</footer>\n");
        }
        out.push_str("</main>\n</body>\n</html>\n");
        out
    }

    /// CommonMark with pipe tables; every text is escaped so that register texts cannot add
    /// markup or links of their own.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# {}\n", escape_markdown(&self.title));
        for line in &self.preamble {
            let _ = writeln!(out, "{}\n", md_line(line));
        }
        if let Some(heading) = &self.contents_heading {
            let _ = writeln!(out, "## {}\n", escape_markdown(heading));
            for (n, section) in self.sections.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "{}. [{}](#{})",
                    n + 1,
                    escape_markdown(&section.heading),
                    section.id
                );
            }
            out.push('\n');
        }
        for section in &self.sections {
            let _ = writeln!(out, "## {}\n", escape_markdown(&section.heading));
            for block in &section.blocks {
                match block {
                    Block::Paragraph(line) => {
                        let _ = writeln!(out, "{}\n", md_line(line));
                    }
                    Block::Subheading(heading) => {
                        let _ = writeln!(out, "### {}\n", escape_markdown(heading));
                    }
                    Block::List(items) => {
                        for item in items {
                            let _ = writeln!(out, "- {}", md_line(item));
                        }
                        out.push('\n');
                    }
                    Block::Table { head, rows } => {
                        let cells: Vec<String> = head.iter().map(|h| escape_markdown(h)).collect();
                        let _ = writeln!(out, "| {} |", cells.join(" | "));
                        let _ = writeln!(out, "|{}", "---|".repeat(head.len()));
                        for row in rows {
                            let cells: Vec<String> = row.iter().map(md_line).collect();
                            let _ = writeln!(out, "| {} |", cells.join(" | "));
                        }
                        out.push('\n');
                    }
                }
            }
        }
        if !self.footer.is_empty() {
            out.push_str("---\n\n");
            for line in &self.footer {
                let _ = writeln!(out, "{}\n", md_line(line));
            }
        }
        // One trailing newline.
        while out.ends_with("\n\n") {
            out.pop();
        }
        out
    }
}

/// Escape the characters that carry meaning in CommonMark (and `|` for tables). Line breaks in
/// a text become spaces: a register text cannot start a heading or a list item.
pub fn escape_markdown(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '!' | '&' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

fn md_line(line: &Line) -> String {
    let mut out = String::new();
    for inline in line {
        match inline {
            Inline::Text(value) => out.push_str(&escape_markdown(value)),
            Inline::Strong(value) => {
                let _ = write!(out, "**{}**", escape_markdown(value));
            }
            Inline::Code(value) => {
                // Identifiers never hold a backquote; drop any so the span cannot be broken.
                let _ = write!(out, "`{}`", value.replace('`', ""));
            }
            Inline::Link { text, href } if safe_href(href) => {
                let target = href.replace(' ', "%20").replace(['<', '>', '(', ')'], "");
                let _ = write!(out, "[{}](<{}>)", escape_markdown(text), target);
            }
            Inline::Link { text, href } => {
                let _ = write!(out, "{} ({})", escape_markdown(text), escape_markdown(href));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_text_and_attributes() {
        assert_eq!(
            escape_html("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn markdown_escapes_markup() {
        assert_eq!(
            escape_markdown("*a* [b](c)\n# d"),
            "\\*a\\* \\[b\\](c) \\# d"
        );
    }

    #[test]
    fn unsafe_links_are_shown_as_text() {
        let mut out = String::new();
        html_inline(&mut out, &link("click", "javascript:alert(1)"));
        assert_eq!(out, "click (javascript:alert(1))");
        assert_eq!(
            md_line(&vec![link("x", "https://example.se/a b")]),
            "[x](<https://example.se/a%20b>)"
        );
    }

    #[test]
    fn paths_on_the_same_site_are_links_other_hosts_are_not() {
        let html = |href: &str| {
            let mut out = String::new();
            html_inline(&mut out, &link("v", href));
            out
        };
        assert_eq!(
            html("/privacy/versions?lang=sv"),
            "<a href=\"/privacy/versions?lang=sv\">v</a>"
        );
        assert_eq!(html("//evil.example/x"), "v (//evil.example/x)");
        assert_eq!(html("/\\evil.example/x"), "v (/\\evil.example/x)");
        assert_eq!(html("privacy"), "v (privacy)");
    }
}
