"""Find and follow: alias pages, the A–Z of every spelling, the search page, and Pagefind's index.

The index is read back in Python (gzip + CBOR, Pagefind 1.x's format) to check that every spelling of
a name finds its person's page and that it covers the content pages and nothing else; tests/browser runs
the same search in Chromium.
"""

from __future__ import annotations

import gzip
import itertools
import json
import shutil
import posixpath
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from builder.model import Entity, Markdown
from builder.problems import Pos
from builder.build import build
from builder.publish import search
from builder.publish.search import alias_slugs, ascii_slug, spellings
from tests.conftest import REPO, mini_files, write_project
from tests.publish_helpers import BASE, build_project, html_pages, is_alias, rich_files, soup

PEOPLE = yaml.safe_load((REPO / "content/people.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def rich(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_project(tmp_path_factory.mktemp("rich"), rich_files())


# -- slugs ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("spelling, slug", [
    ("Kolesnikova", "kolesnikova"), ("Maria Kolesnikova", "maria-kolesnikova"), ("Aleś Bialacki", "ales-bialacki"),
    ("Łukasz Żak", "lukasz-zak"), ("U.S. government", "u-s-government"), ("Марыя Калеснікава", ""),
    ("  --  ", ""), ("Jean-Luc O'Brien", "jean-luc-o-brien"),
])
def test_ascii_slug(spelling: str, slug: str) -> None:
    assert ascii_slug(spelling) == slug
    assert slug == "" or re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug)


def test_alias_slugs_skip_ids_collisions_and_other_scripts(rich: Path) -> None:
    from builder.build import load_and_resolve
    from builder.config import Paths
    from builder.problems import Problems

    project, _ = load_and_resolve(Paths(rich.parent), Problems())
    slugs = [(slug, spelling, e.id) for slug, spelling, e in alias_slugs(project.entities)]
    # "Lis" is the id of its own page; "Piotr LIŚ" folds to the slug "Piotr Liś" took first;
    # "Яна Новак" has no Latin letters; "Novak" is novak's id.
    assert slugs == [("jana-nowak", "Jana Nowak", "novak"), ("jana-nowakowa", "Jana Nowakowa", "novak"),
                     ("piotr-lis", "Piotr Liś", "lis")]


# -- alias pages ----------------------------------------------------------------------------------
def alias_target(path: str, html: str) -> str:
    page = soup(html)
    refresh = page.find("meta", attrs={"http-equiv": "refresh"})["content"]
    match = re.fullmatch(r"0; url=(\S+)", refresh)
    assert match, refresh
    return posixpath.normpath(posixpath.join(posixpath.dirname(path), match.group(1)))


def test_every_alias_page_leads_to_its_person(real_site: Path) -> None:
    pages = html_pages(real_site)
    aliases = {p: h for p, h in pages.items() if is_alias(h)}
    expected = {f"people/{ascii_slug(a)}/index.html": p for p in PEOPLE for a in p.get("aliases", [])
                if ascii_slug(a) and ascii_slug(a) != p["id"]}
    assert set(expected) <= set(aliases)
    for path, html in aliases.items():
        target = alias_target(path, html)
        assert target in pages and not is_alias(pages[target]), path
        page = soup(html)
        visible = page.find("main").find("a")
        assert posixpath.normpath(posixpath.join(posixpath.dirname(path), visible["href"])) == target
        canonical = page.find("link", rel="canonical")["href"]
        assert posixpath.normpath(posixpath.join(posixpath.dirname(path), canonical)) == target
        assert page.find("meta", attrs={"name": "robots", "content": "noindex"})
        assert page.find("h1").get_text() in soup(pages[target]).find(class_="spellings").get_text()
    for path, person in expected.items():
        assert alias_target(path, aliases[path]) == f"people/{person['id']}/index.html"


def test_kolesnikova_leads_to_kalesnikava(real_site: Path) -> None:
    html = (real_site / "people/kolesnikova/index.html").read_text(encoding="utf-8")
    assert '<meta http-equiv="refresh" content="0; url=../../people/kalesnikava/index.html">' in html
    assert '<a href="../../people/kalesnikava/index.html">Maria Kalesnikava</a>' in html


def test_alias_canonical_is_absolute_with_base_url(rich: Path) -> None:
    page = soup((rich / "people/jana-nowak/index.html").read_text(encoding="utf-8"))
    assert page.find("link", rel="canonical")["href"] == BASE + "people/novak/"


# -- the A–Z of every spelling --------------------------------------------------------------------
def test_a_to_z_lists_every_spelling_in_order(real_site: Path) -> None:
    page = soup((real_site / "people/index.html").read_text(encoding="utf-8"))
    section = page.find(id="a-z").find_parent("section")
    links = section.find_all("a")
    shown = [a.get_text() for a in links]
    every = [p["name"] for p in PEOPLE] + [a for p in PEOPLE for a in p.get("aliases", [])]
    every += [n for p in PEOPLE for n in (p.get("native_names") or {}).values()]
    assert sorted(shown) == sorted(every)
    latin = [s for s in shown if s.isascii()]
    assert latin == sorted(latin, key=str.casefold)
    owner = {n: p["id"] for p in PEOPLE for n in [p["name"], *p.get("aliases", []),
                                                    *(p.get("native_names") or {}).values()]}
    for a in links:
        assert a["href"] == f"../people/{owner[a.get_text()]}/index.html", a
    native = [a for a in links if a.get("lang")]
    assert native and all(a["lang"] in ("be", "ru") for a in native)


def entity(ident: str, name: str, aliases: tuple[str, ...]) -> Entity:
    return Entity("person", ident, name, aliases, (), "role", None, None, Markdown("x", Pos("p")), Pos("p"))


def test_spellings_sort_accents_with_their_letters() -> None:
    names = [s.text for s in spellings([entity("a", "Zoe Ábel", ("Abel", "Ľudo Zeman", "Ábrahám"))])]
    assert names == ["Abel", "Ábrahám", "Ľudo Zeman", "Zoe Ábel"]


# -- the search page ------------------------------------------------------------------------------
def test_search_page_loads_pagefind_from_the_site(real_site: Path) -> None:
    page = soup((real_site / "search/index.html").read_text(encoding="utf-8"))
    sources = [s["src"] for s in page.find_all("script", src=True)]
    assert sources == ["../pagefind/pagefind-ui.js", "../assets/search.js"]
    assert all((real_site / "search" / s).resolve().is_file() for s in sources)
    styles = [link["href"] for link in page.find_all("link", rel="stylesheet")]
    assert "../pagefind/pagefind-ui.css" in styles
    assert page.find(id="search") is not None
    noscript = page.find("noscript")
    assert noscript and "JavaScript" in noscript.get_text()
    assert noscript.find("a", href="../people/index.html#a-z")
    assert "new PagefindUI" in (real_site / "assets/search.js").read_text(encoding="utf-8")


def test_only_content_pages_are_indexed(real_site: Path) -> None:
    for path, html in html_pages(real_site).items():
        main = soup(html).find("main")
        unindexed = path in ("search/index.html", "404.html") or is_alias(html)
        assert (main.has_attr("data-pagefind-body")) != unindexed, path


def bundle_folders(site: Path) -> list[Path]:
    """The search bundles the search page merges, from its data-bundles attribute."""
    box = soup((site / "search/index.html").read_text(encoding="utf-8")).find(id="search")
    return [(site / "search" / path).resolve() for path in box["data-bundles"].split()]


def test_pagefind_bundle_is_pruned(real_site: Path) -> None:
    assert {p.name for p in (real_site / "pagefind").iterdir() if p.is_file()} == {"pagefind-ui.js", "pagefind-ui.css"}
    assert bundle_folders(real_site) == sorted(p for p in (real_site / "pagefind").iterdir() if p.is_dir())
    for bundle in bundle_folders(real_site):
        names = {p.name for p in bundle.iterdir()}
        assert {"pagefind.js", "pagefind-worker.js", "pagefind-entry.json", search.INDEXED_MARKER} <= names
        assert not names & {"pagefind-ui.js", "pagefind-component-ui.js", "pagefind-modular-ui.js",
                            "pagefind-highlight.js"}
        entry = json.loads((bundle / "pagefind-entry.json").read_text())
        assert {f"wasm.{lang['wasm']}.pagefind" for lang in entry["languages"].values()} == {
            n for n in names if n.startswith("wasm.")}


# -- bundles --------------------------------------------------------------------------------------
def test_bundles_are_bounded_and_a_new_page_moves_no_other(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "SHARD_PAGES", 10)
    paths = [f"briefs/b{i}/index.html" for i in range(35)]
    split = dict(search.bundles(paths))
    assert 1 < len(split) <= 4 and all(split.values())
    assert sorted(sum(split.values(), [])) == sorted(paths)
    grown = dict(search.bundles(paths + ["briefs/new/index.html"]))
    assert {f: [p for p in shard if p != "briefs/new/index.html"] for f, shard in grown.items()} == split


def inodes(site: Path) -> dict[str, dict[str, int]]:
    return {f.name: {p.relative_to(f).as_posix(): p.stat().st_ino for p in f.rglob("*") if p.is_file()}
            for f in bundle_folders(site)}


def test_an_edit_reindexes_only_its_bundle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Bundles of one page each: the edited brief's bundle is made anew, the others are the live site's files.
    monkeypatch.setattr(search, "SHARD_PAGES", 1)
    root = write_project(tmp_path / "mini", mini_files())
    out = root / "site"
    build(root, out)
    before, old_pages = inodes(out), html_pages(out)
    assert len(before) > 2
    brief = root / "content/briefs/resignation.md"
    brief.write_text(brief.read_text(encoding="utf-8").replace("resigned after", "quit after", 1), encoding="utf-8")
    build(root, out)
    after = inodes(out)
    assert after.keys() == before.keys()
    changed = [f for f in before if after[f] != before[f]]
    new_pages = html_pages(out)
    split = search.bundles(word_index(out, urls_only=True))
    rewritten = [folder.split("/")[1] for folder, shard in split if any(old_pages[p] != new_pages[p] for p in shard)]
    own = [folder.split("/")[1] for folder, shard in split if "briefs/resignation/index.html" in shard]
    # The brief's bundle is made anew; the pages that only list it (its people's, its sources') changed in
    # what Pagefind passes over, and keep theirs.
    assert own[0] in changed and set(changed) <= set(rewritten) and len(changed) < len(rewritten)
    assert "/briefs/resignation/index.html" in word_index(out)["quit"]
    # What was kept is what a clean build indexes.
    clean = write_project(tmp_path / "clean", {rel: (root / rel).read_text(encoding="utf-8")
                                               for rel in mini_files()})
    build(clean, clean / "site")
    index_files = sorted(str(p.relative_to(out)) for p in out.rglob("pagefind/**/*") if p.is_file())
    assert index_files == sorted(str(p.relative_to(clean / "site"))
                                 for p in (clean / "site").rglob("pagefind/**/*") if p.is_file())
    assert all((out / f).read_bytes() == (clean / "site" / f).read_bytes() for f in index_files)


def test_an_index_made_again_keeps_the_files_of_unchanged_pages(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # One bundle: the edit indexes it again, but Pagefind is handed the live files named by their content
    # and writes only the changed page's; what it no longer names is gone (the result is a clean build's).
    root = write_project(tmp_path / "mini", mini_files())
    out = root / "site"
    build(root, out)
    written: dict[str, int] = {}
    real = search._run_pagefind

    def run(site: Path, paths: list[str], bundle: Path, kept: Path | None = None) -> None:
        real(site, paths, bundle, kept)
        written.update({p.name: p.stat().st_mtime_ns for p in bundle.glob("fragment/*")})
    monkeypatch.setattr(search, "_run_pagefind", run)
    before = {p.name for p in out.glob("pagefind/0/fragment/*")}
    brief = root / "content/briefs/resignation.md"
    brief.write_text(brief.read_text(encoding="utf-8").replace("resigned after", "quit after", 1), encoding="utf-8")
    build(root, out)
    fresh = [name for name, mtime in written.items() if mtime]  # the seeds keep the live files' time, 0
    assert len(fresh) == 1 and len(written) > 2 and fresh[0] not in before
    clean = write_project(tmp_path / "clean", {rel: (root / rel).read_text(encoding="utf-8") for rel in mini_files()})
    build(clean, clean / "site")
    assert sorted(p.name for p in out.glob("pagefind/0/fragment/*")) == \
        sorted(p.name for p in (clean / "site").glob("pagefind/0/fragment/*"))


def test_the_pages_pagefind_read_are_kept_for_the_next_build_and_only_ours_are_trusted(tmp_path: Path) -> None:
    # The folder of links Pagefind reads is kept in .cache/ and brought up to date by the next build (the
    # very folder: its inode). A link planted in it, or in its place, is never followed: nothing outside is
    # indexed, moved or deleted.
    root = write_project(tmp_path / "mini", mini_files())
    out = root / "site"
    build(root, out)
    farms = list((root / ".cache").glob("search-*"))
    assert len(farms) == 1 and (farms[0] / "0" / "briefs/resignation/index.html").is_file()
    farm = farms[0] / "0"
    before = farm.stat().st_ino
    brief = root / "content/briefs/resignation.md"

    def edit_and_build(old: str, new: str) -> None:
        brief.write_text(brief.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
        build(root, out)
    edit_and_build("resigned after", "quit after")
    assert farm.stat().st_ino == before and "/briefs/resignation/index.html" in word_index(out)["quit"]
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "index.html").write_text('<html lang="en"><body><main data-pagefind-body><h1>Zanzibarine secret'
                                        '</h1></main></body></html>', encoding="utf-8")
    (farm / "briefs" / "planted").mkdir()
    (farm / "briefs" / "planted" / "index.html").symlink_to(outside / "index.html")
    edit_and_build("quit after", "left after")
    assert "zanzibarine" not in word_index(out) and (outside / "index.html").is_file()
    shutil.rmtree(farm)
    farm.symlink_to(outside, target_is_directory=True)
    edit_and_build("left after", "quit after")
    assert sorted(p.name for p in outside.iterdir()) == ["index.html"] and "zanzibarine" not in word_index(out)
    assert "/briefs/resignation/index.html" in word_index(out)["quit"] and farm.is_symlink()
    # The folder of all bundles' links swapped for a link to a folder outside: nothing there is deleted
    # (its sub-folder is not a bundle of this site) and nothing is put there.
    (outside / "keep-me").mkdir()
    shutil.rmtree(farms[0])
    farms[0].symlink_to(outside, target_is_directory=True)
    edit_and_build("quit after", "left after")
    assert sorted(p.name for p in outside.iterdir()) == ["index.html", "keep-me"] and farms[0].is_symlink()
    assert "/briefs/resignation/index.html" in word_index(out)["left"]


@pytest.mark.parametrize("planted", ["fragment", "marker", "folder"])
def test_a_link_planted_in_the_live_search_index_is_never_followed(tmp_path: Path, planted: str) -> None:
    # A file of the live site's search bundle (or the bundle's own folder) swapped for a link to a file
    # outside: the next build neither keeps nor seeds from it, nor zips what it leads to.
    import zipfile

    root = write_project(tmp_path / "mini", mini_files())
    out = root / "site"
    build(root, out)
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("Zanzibarine secret\n", encoding="utf-8")
    touched = secret.stat().st_mtime_ns
    bundle = out / "pagefind" / "0"
    if planted == "folder":
        shutil.move(str(bundle), str(tmp_path / "moved"))
        bundle.symlink_to(secret.parent, target_is_directory=True)
    else:
        victim = next(bundle.glob("fragment/*")) if planted == "fragment" else bundle / search.INDEXED_MARKER
        victim.unlink()
        victim.symlink_to(secret)
    build(root, out)
    assert not [p for p in out.rglob("*") if p.is_symlink()]
    with zipfile.ZipFile(out / "briefing.zip") as archive:
        assert not any(b"Zanzibarine" in archive.read(name) for name in archive.namelist())
    assert secret.read_text(encoding="utf-8") == "Zanzibarine secret\n" and len(list(secret.parent.iterdir())) == 1
    assert secret.stat().st_mtime_ns == touched  # not even its time
    assert "/briefs/resignation/index.html" in word_index(out)["deal"]


def test_what_the_search_index_reads_of_a_page_leaves_out_what_it_passes_over() -> None:
    page = ('<main data-pagefind-body><h1>Title</h1><section data-pagefind-ignore="all"><section>a</section>'
            '<p>listed</p></section><p>text</p><span class="x" data-pagefind-ignore="all">b</span></main>')
    same = page.replace("listed", "listed, and more").replace(">b<", ">c<")
    digest = search.indexed_digest(page, "whole")
    assert digest != "whole" and search.indexed_digest(same, "other") == digest
    assert search.indexed_digest(page.replace("<p>text", "<p>words"), "x") != digest
    assert search.indexed_digest("<p>plain</p>", "whole") == "whole"  # nothing passed over: the page's own
    # An element passed over but never closed is read: what follows it counts.
    open_one = '<div data-pagefind-ignore="all"><p>one'
    assert search.indexed_digest(open_one, "a") != search.indexed_digest(open_one.replace("one", "two"), "a")
    # The attribute in text (escaped, so not an element) passes nothing over.
    assert search.indexed_digest('<p>data-pagefind-ignore=&quot;all&quot;</p>', "whole") == "whole"


# -- reading Pagefind's index back ----------------------------------------------------------------
def read_pf(path: Path) -> Any:
    return search.read_pf(path.read_bytes())


def word_index(site: Path, urls_only: bool = False) -> Any:
    """Each indexed word → the URLs of the pages that hold it, over every bundle (`urls_only`: the
    indexed pages' paths)."""
    words: dict[str, set[str]] = {}
    indexed: list[str] = []
    for bundle in sorted(p for p in (site / "pagefind").iterdir() if p.is_dir()):
        meta = read_pf(next(bundle.glob("pagefind.*.pf_meta")))
        hashes = [h for h, _count in meta[1]]
        urls = [json.loads(gzip.decompress((bundle / "fragment" / f"{h}.pf_fragment").read_bytes())[12:])["url"]
                for h in hashes]
        indexed += [url.lstrip("/") for url in urls]
        for chunk in sorted((bundle / "index").glob("*.pf_index")):
            # An entry: [word with diacritics folded, its pages, [[word as written, its pages], ...]].
            for word, pages, variants in read_pf(chunk)[0]:
                for spelled, listed in [(word, pages), *((w, p) for w, p in variants),
                                        *((word, p) for _, p in variants)]:
                    numbers = itertools.accumulate(p[0] for p in listed)  # page numbers are delta-coded
                    words.setdefault(spelled, set()).update(urls[n] for n in numbers)
    return indexed if urls_only else words


@pytest.fixture(scope="module")
def words(real_site: Path) -> dict[str, set[str]]:
    return word_index(real_site)


def found(words: dict[str, set[str]], query: str) -> set[str]:
    """Pages every word of `query` finds. Pagefind stems the query and the index alike; without its
    stemmer, an indexed word counts when it is the term or the term with at most three letters cut
    (after Snowball's final y → i, as in "Belyatsky" → "belyatski")."""
    result: set[str] | None = None
    for term in re.findall(r"\w+", query.casefold()):
        forms = {term, re.sub(r"(?<=[^aeiouy])y$", "i", term)}
        pages = set().union(*[urls for word, urls in words.items()
                              if any(f.startswith(word) and len(f) - len(word) <= 3 for f in forms)])
        result = pages if result is None else result & pages
    return result or set()


def test_the_index_covers_content_pages_and_no_list(real_site: Path) -> None:
    indexed = set(word_index(real_site, urls_only=True))
    pages = html_pages(real_site)
    content = {p for p in pages if p.split("/")[0] in ("briefs", "people", "organisations", "sources", "claims")
               and p.count("/") == 2 and not is_alias(pages[p])}
    assert content and content <= indexed
    assert any(p.startswith("claims/") for p in indexed) and "claims/index.html" not in indexed  # topics, not the list
    lists = {"index.html", "briefs/index.html", "people/index.html", "sources/index.html", "claims/index.html",
             "search/index.html", "404.html"}
    assert not indexed & lists
    assert not any(is_alias(pages[p]) for p in indexed)


def test_index_reader_reads_plain_words(words: dict[str, set[str]]) -> None:
    assert "/people/kalesnikava/index.html" in words["kalesnikava"]
    assert "/search/index.html" not in set().union(*words.values())
    assert found(words, "Zzyzx") == set()
    assert "/people/putin/index.html" not in found(words, "Kolesnikova")


@pytest.mark.parametrize("person", PEOPLE, ids=[p["id"] for p in PEOPLE])
def test_every_spelling_finds_the_person(person: dict[str, Any], words: dict[str, set[str]]) -> None:
    page = f"/people/{person['id']}/index.html"
    for spelling in [person["name"], *person.get("aliases", []), *(person.get("native_names") or {}).values()]:
        assert page in found(words, spelling), spelling


def test_kolesnikova_finds_maria_kalesnikava(words: dict[str, set[str]]) -> None:
    assert "/people/kalesnikava/index.html" in found(words, "Kolesnikova")
