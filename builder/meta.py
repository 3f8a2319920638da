"""What a page says about itself to machines: canonical address, Open Graph, JSON-LD.

Absolute addresses need `base_url`; without it none is written (an address is never invented).
JSON-LD is built from the same model the page shows, so the two cannot drift apart.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import replace
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from builder.model import Document, Entity, Page, Project, SiteConfig, Source
from builder.problems import Pos, Problems

BASE_URL_ENV = "BRIEFING_BASE_URL"  # set by the Pages workflow from actions/configure-pages
_ABSOLUTE = re.compile(r"^https?://[^\s/?#]+(/[^\s?#]*)?$")
# Pages that exist only to send readers elsewhere: no canonical of their own, not in the sitemap.
UNLISTED_TEMPLATES = frozenset({"alias.html", "404.html"})


def base_url(site: SiteConfig) -> str | None:
    """The site's published address, always ending in '/', or None when unknown."""
    if not site.base_url:
        return None
    return site.base_url if site.base_url.endswith("/") else site.base_url + "/"


def public_path(path: str) -> str:
    """A page's address as readers see it: folders without 'index.html'."""
    if path == "index.html":
        return ""
    return path[: -len("index.html")] if path.endswith("/index.html") else path


def absolute(site: SiteConfig, path: str) -> str | None:
    base = base_url(site)
    return base + public_path(path) if base else None


def with_base_url(project: Project, problems: Problems) -> Project:
    """Apply BRIEFING_BASE_URL (the workflow's real Pages address) and check the result is absolute."""
    site = project.site
    override = os.environ.get(BASE_URL_ENV, "").strip()
    if override:
        site = replace(site, base_url=override)
    if site.base_url and not _ABSOLUTE.match(site.base_url):
        where = Pos(f"environment {BASE_URL_ENV}") if override else site.pos
        problems.error(where, f"base_url {site.base_url!r} is not an absolute http(s) address",
                       "write it as https://user.github.io/repo/, or leave it out")
    return replace(project, site=site) if site is not project.site else project


def json_ld(data: dict[str, Any]) -> Markup:
    """A JSON-LD block; '<' is escaped so no text can close the script element early."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    safe = text.replace("<", "\\u003c")
    return Markup(f'<script type="application/ld+json">{safe}</script>')


def publisher(site: SiteConfig) -> dict[str, str]:
    # The feed and articles need someone responsible; without an author the site itself is named.
    return {"@type": "Organization", "name": site.author or site.title}


def _ref(kind: str, name: str, url: str | None) -> dict[str, str]:
    return {"@type": kind, "name": name, **({"url": url} if url else {})}


def article_data(site: SiteConfig, page: Page, brief: Document, named: list[Entity],
                 cited: list[Source]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "@context": "https://schema.org", "@type": "NewsArticle", "headline": brief.title,
        "description": brief.summary, "inLanguage": site.language,
        "author": publisher(site), "publisher": publisher(site),
        "mentions": [_ref("Person" if e.kind == "person" else "Organization", e.name,
                          absolute(site, f"{e.section}/{e.id}/index.html")) for e in named],
        "isBasedOn": [_ref("CreativeWork", s.title, s.url) for s in cited],
    }
    if brief.date:
        data["datePublished"] = brief.date
    if brief.updated:
        data["dateModified"] = brief.updated
    return data


def entity_data(site: SiteConfig, entity: Entity) -> dict[str, Any]:
    alternate = [*entity.aliases, *(name for _, name in entity.native_names)]
    return {"@context": "https://schema.org",
            "@type": "Person" if entity.kind == "person" else "Organization",
            "name": entity.name, "alternateName": alternate, "description": entity.role}


def structured_data(site: SiteConfig, page: Page) -> dict[str, Any] | None:
    """The JSON-LD of a page, or None for pages that are lists or tools."""
    ctx = page.context
    if page.template == "brief.html":
        data = article_data(site, page, ctx["brief"], ctx["named"], ctx["cited"])
    elif page.template == "entity.html":
        data = entity_data(site, ctx["entity"])
    elif page.path == "index.html":
        data = {"@context": "https://schema.org", "@type": "WebSite", "name": site.title,
                "description": site.description, "inLanguage": site.language}
    else:
        return None
    url = absolute(site, page.path)
    return {**data, "url": url} if url else data


def og_type(page: Page) -> str:
    if page.template == "brief.html":
        return "article"
    person = page.template == "entity.html" and page.context["entity"].kind == "person"
    return "profile" if person else "website"


def _meta_tag(prop: str, content: str) -> str:
    return f'<meta property="{prop}" content="{escape(content)}">'


@pass_context
def head_meta(ctx: Context) -> Markup:
    """The `head_meta()` template global: canonical link, Open Graph tags, feed link and JSON-LD, from the
    page, the site settings and `has_feed` in the page's context (nothing else)."""
    page: Page = ctx["page"]
    site: SiteConfig = ctx["site"]
    url = None if page.template in UNLISTED_TEMPLATES else absolute(site, page.path)
    # Plain strings with each variable part escaped: what Markup.format gave, at a fraction of its cost on
    # every page of the site.
    lines = [f'<link rel="canonical" href="{escape(url)}">'] if url else []
    lines += [_meta_tag("og:title", page.title), _meta_tag("og:description", page.description),
              _meta_tag("og:type", og_type(page)), _meta_tag("og:site_name", site.title)]
    if url:
        lines.append(_meta_tag("og:url", url))
    if ctx["has_feed"]:
        lines.append(f'<link rel="alternate" type="application/atom+xml" href="{escape(ctx["root"])}feed.xml" '
                     f'title="{escape(site.title)}">')
    data = structured_data(site, page)
    if data is not None:
        lines.append(json_ld(data))
    return Markup("\n".join(lines))
