//! The kinds of links a page references: which element and attribute (or response
//! header) a link comes from, which kinds a crawl writes ([`LinkKinds`], `--links`)
//! and which of them it follows as pages.

use std::fmt;

use html5ever::{LocalName, local_name};
use std::str::FromStr;

/// Which element a link came from ([`LinkTag::Header`]: a response header).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum LinkTag {
    /// An `<a href>` element.
    A,
    /// An `<area href>` element (a region of an image map).
    Area,
    /// A `<link href>` element (stylesheets, icons, preloads, alternates, ...).
    Link,
    /// A `<script src>` element.
    Script,
    /// An `<img src>` element, or a candidate of its `srcset`.
    Img,
    /// A `<source src>` element (in `<video>`/`<audio>`), or a candidate of its
    /// `srcset` (in `<picture>`).
    Source,
    /// An `<iframe src>` element.
    Iframe,
    /// A `<frame src>` element.
    Frame,
    /// An `<embed src>` element.
    Embed,
    /// An `<object data>` element.
    Object,
    /// A `<video src>` or `<video poster>` element.
    Video,
    /// An `<audio src>` element.
    Audio,
    /// A `<track src>` element.
    Track,
    /// An `<input type=image src>` element.
    Input,
    /// A `<form action>` element.
    Form,
    /// A `<button formaction>` element.
    Button,
    /// A `<blockquote cite>` element.
    Blockquote,
    /// A `<q cite>` element.
    Q,
    /// A `<del cite>` element.
    Del,
    /// An `<ins cite>` element.
    Ins,
    /// A `<meta http-equiv=refresh content="…; url=…">` element.
    Meta,
    /// A response header: `Link:` or `Refresh:` ([`LinkAttr::LinkHeader`],
    /// [`LinkAttr::RefreshHeader`]).
    Header,
}

impl LinkTag {
    /// Every tag, in the order `--links all` lists them.
    pub const ALL: [LinkTag; 22] = [
        LinkTag::A,
        LinkTag::Area,
        LinkTag::Link,
        LinkTag::Script,
        LinkTag::Img,
        LinkTag::Source,
        LinkTag::Iframe,
        LinkTag::Frame,
        LinkTag::Embed,
        LinkTag::Object,
        LinkTag::Video,
        LinkTag::Audio,
        LinkTag::Track,
        LinkTag::Input,
        LinkTag::Form,
        LinkTag::Button,
        LinkTag::Blockquote,
        LinkTag::Q,
        LinkTag::Del,
        LinkTag::Ins,
        LinkTag::Meta,
        LinkTag::Header,
    ];

    /// The element's tag name (`"a"`, `"img"`, ...), or `"header"`; also its name in
    /// `--links`.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkTag::A => "a",
            LinkTag::Area => "area",
            LinkTag::Link => "link",
            LinkTag::Script => "script",
            LinkTag::Img => "img",
            LinkTag::Source => "source",
            LinkTag::Iframe => "iframe",
            LinkTag::Frame => "frame",
            LinkTag::Embed => "embed",
            LinkTag::Object => "object",
            LinkTag::Video => "video",
            LinkTag::Audio => "audio",
            LinkTag::Track => "track",
            LinkTag::Input => "input",
            LinkTag::Form => "form",
            LinkTag::Button => "button",
            LinkTag::Blockquote => "blockquote",
            LinkTag::Q => "q",
            LinkTag::Del => "del",
            LinkTag::Ins => "ins",
            LinkTag::Meta => "meta",
            LinkTag::Header => "header",
        }
    }

    /// The tag named `name` (ASCII case-insensitive), as [`LinkTag::as_str`] gives it.
    pub fn from_name(name: &str) -> Option<LinkTag> {
        LinkTag::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(name))
    }

    /// The bit of this tag in a [`LinkKinds`].
    const fn bit(self) -> u32 {
        1 << self as u32
    }
}

/// Which attribute (or header) a link came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum LinkAttr {
    /// `href` (`a`, `area`, `link`).
    Href,
    /// `src`.
    Src,
    /// One candidate of a `srcset` (`img`, `source`).
    Srcset,
    /// `poster` (`video`).
    Poster,
    /// `data` (`object`).
    Data,
    /// `action` (`form`).
    Action,
    /// `formaction` (`button`).
    Formaction,
    /// `cite` (`blockquote`, `q`, `del`, `ins`).
    Cite,
    /// The URL in a `<meta http-equiv=refresh>`'s `content`.
    Content,
    /// The `Link:` response header (RFC 8288).
    LinkHeader,
    /// The `Refresh:` response header.
    RefreshHeader,
}

impl LinkAttr {
    /// The attribute's name as an atom, to compare with the parser's attribute names
    /// without reading them as strings (a header's matches no attribute).
    pub(crate) fn local(self) -> LocalName {
        match self {
            LinkAttr::Href => local_name!("href"),
            LinkAttr::Src => local_name!("src"),
            LinkAttr::Srcset => local_name!("srcset"),
            LinkAttr::Poster => local_name!("poster"),
            LinkAttr::Data => local_name!("data"),
            LinkAttr::Action => local_name!("action"),
            LinkAttr::Formaction => local_name!("formaction"),
            LinkAttr::Cite => local_name!("cite"),
            LinkAttr::Content => local_name!("content"),
            LinkAttr::LinkHeader | LinkAttr::RefreshHeader => local_name!(""),
        }
    }

    /// The attribute's name, or the header's (`"link"`, `"refresh"`).
    pub fn as_str(self) -> &'static str {
        match self {
            LinkAttr::Href => "href",
            LinkAttr::Src => "src",
            LinkAttr::Srcset => "srcset",
            LinkAttr::Poster => "poster",
            LinkAttr::Data => "data",
            LinkAttr::Action => "action",
            LinkAttr::Formaction => "formaction",
            LinkAttr::Cite => "cite",
            LinkAttr::Content => "content",
            LinkAttr::LinkHeader => "link",
            LinkAttr::RefreshHeader => "refresh",
        }
    }
}

/// Whether a recursive crawl fetches a link of this kind as a page: hyperlinks
/// (`a`, `area`), frames (`iframe`, `frame`) and refreshes (`<meta http-equiv=refresh>`
/// and the `Refresh:` header) are navigations; the other kinds are subresources or
/// references, written but not followed.
pub fn is_followed(tag: LinkTag, attr: LinkAttr) -> bool {
    match tag {
        LinkTag::A | LinkTag::Area | LinkTag::Iframe | LinkTag::Frame | LinkTag::Meta => true,
        LinkTag::Header => attr == LinkAttr::RefreshHeader,
        _ => false,
    }
}

/// The unit a target is written once per: its tag, but `a` and `area` are one
/// kind (hyperlinks, as before `--links`), and the two headers two kinds.
pub(crate) fn dedup_kind(tag: LinkTag, attr: LinkAttr) -> u8 {
    match (tag, attr) {
        (LinkTag::A | LinkTag::Area, _) => 0,
        (LinkTag::Header, LinkAttr::LinkHeader) => 64,
        _ => tag as u8 + 1,
    }
}

/// A set of [`LinkTag`]s: which kinds of links extraction returns (`--links`).
///
/// The default, [`LinkKinds::HYPERLINKS`], is `a` and `area`: what crawl wrote before
/// it had kinds. Parsed from `hyperlinks`, `all`, or a comma-separated list of tag
/// names and those two (`a,img,script`, `hyperlinks,iframe`).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct LinkKinds(u32);

impl LinkKinds {
    /// `a` and `area`: the default.
    pub const HYPERLINKS: LinkKinds = LinkKinds(LinkTag::A.bit() | LinkTag::Area.bit());
    /// Every kind.
    pub const ALL: LinkKinds = LinkKinds((1 << LinkTag::ALL.len()) - 1);

    /// No kind.
    pub const fn empty() -> LinkKinds {
        LinkKinds(0)
    }

    /// These kinds and `tag`.
    #[must_use]
    pub const fn with(self, tag: LinkTag) -> LinkKinds {
        LinkKinds(self.0 | tag.bit())
    }

    /// Whether `tag` is in the set.
    pub const fn contains(self, tag: LinkTag) -> bool {
        self.0 & tag.bit() != 0
    }

    /// Whether the set is the default, [`LinkKinds::HYPERLINKS`].
    pub const fn is_hyperlinks(self) -> bool {
        self.0 == LinkKinds::HYPERLINKS.0
    }

    /// Whether the set holds a kind other than `a` and `area`.
    pub const fn beyond_hyperlinks(self) -> bool {
        self.0 & !LinkKinds::HYPERLINKS.0 != 0
    }

    /// The tags in the set, in [`LinkTag::ALL`]'s order.
    pub fn iter(self) -> impl Iterator<Item = LinkTag> {
        LinkTag::ALL.into_iter().filter(move |t| self.contains(*t))
    }
}

impl Default for LinkKinds {
    fn default() -> Self {
        LinkKinds::HYPERLINKS
    }
}

impl fmt::Display for LinkKinds {
    /// `hyperlinks`, `all`, or the tags as a comma-separated list.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == LinkKinds::HYPERLINKS {
            return f.write_str("hyperlinks");
        }
        if *self == LinkKinds::ALL {
            return f.write_str("all");
        }
        let names: Vec<&str> = self.iter().map(LinkTag::as_str).collect();
        f.write_str(&names.join(","))
    }
}

impl fmt::Debug for LinkKinds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LinkKinds({self})")
    }
}

/// A `--links` value that names no kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown link kind {0:?}: expected hyperlinks, all, or a comma-separated list of {list}", list = kind_names())]
pub struct UnknownKind(pub String);

fn kind_names() -> String {
    let names: Vec<&str> = LinkTag::ALL.iter().map(|t| t.as_str()).collect();
    names.join(", ")
}

impl FromStr for LinkKinds {
    type Err = UnknownKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut kinds = LinkKinds::empty();
        for name in s.split(',').map(str::trim) {
            kinds = match name.to_ascii_lowercase().as_str() {
                "hyperlinks" => LinkKinds(kinds.0 | LinkKinds::HYPERLINKS.0),
                "all" => LinkKinds::ALL,
                other => match LinkTag::from_name(other) {
                    Some(tag) => kinds.with(tag),
                    None => return Err(UnknownKind(name.to_owned())),
                },
            };
        }
        Ok(kinds)
    }
}

/// The URL-bearing attributes of an HTML element that `kinds` asks for: its tag
/// and the attributes to read, in the order they are written. `attr` looks up an
/// attribute's value (the first of duplicates). Elements whose link depends on
/// another attribute (`<input type=image>`, `<meta http-equiv=refresh>`) are
/// checked here.
pub(crate) fn element_link<'v>(
    local: &LocalName,
    kinds: LinkKinds,
    attr: impl Fn(&str) -> Option<&'v str>,
) -> Option<(LinkTag, &'static [LinkAttr])> {
    use LinkAttr::*;
    let (tag, attrs): (LinkTag, &'static [LinkAttr]) = match *local {
        local_name!("a") => (LinkTag::A, &[Href]),
        local_name!("area") => (LinkTag::Area, &[Href]),
        local_name!("link") => (LinkTag::Link, &[Href]),
        local_name!("script") => (LinkTag::Script, &[Src]),
        local_name!("img") => (LinkTag::Img, &[Src, Srcset]),
        local_name!("source") => (LinkTag::Source, &[Src, Srcset]),
        local_name!("iframe") => (LinkTag::Iframe, &[Src]),
        local_name!("frame") => (LinkTag::Frame, &[Src]),
        local_name!("embed") => (LinkTag::Embed, &[Src]),
        local_name!("object") => (LinkTag::Object, &[Data]),
        local_name!("video") => (LinkTag::Video, &[Src, Poster]),
        local_name!("audio") => (LinkTag::Audio, &[Src]),
        local_name!("track") => (LinkTag::Track, &[Src]),
        local_name!("input") => (LinkTag::Input, &[Src]),
        local_name!("form") => (LinkTag::Form, &[Action]),
        local_name!("button") => (LinkTag::Button, &[Formaction]),
        local_name!("blockquote") => (LinkTag::Blockquote, &[Cite]),
        local_name!("q") => (LinkTag::Q, &[Cite]),
        local_name!("del") => (LinkTag::Del, &[Cite]),
        local_name!("ins") => (LinkTag::Ins, &[Cite]),
        local_name!("meta") => (LinkTag::Meta, &[Content]),
        _ => return None,
    };
    if !kinds.contains(tag) {
        return None;
    }
    let wanted = match tag {
        LinkTag::Input => attr("type").is_some_and(|t| t.eq_ignore_ascii_case("image")),
        LinkTag::Meta => attr("http-equiv").is_some_and(|h| h.eq_ignore_ascii_case("refresh")),
        _ => true,
    };
    wanted.then_some((tag, attrs))
}
