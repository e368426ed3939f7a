"""Turn the summary's HTML and print stylesheet into a PDF with WeasyPrint.

Chinese needs two things from WeasyPrint: ``<html lang="zh-CN">`` (so the pan-CJK font picks
its Simplified Chinese glyphs) and a CJK font in every font-family chain, @page margin boxes
included. The machine may have no CJK font at all, so the font comes from the
``noto-cjk-sans-otc`` package (OFL) and is registered with @font-face through a file URL.

WeasyPrint fetches whatever a document points at (stylesheets, images, fonts). The fetcher
given to it here reads only the app's own static files and that one font file, and refuses
everything else (http, data:, any other file), so a report can never pull in an outside
resource or a file from elsewhere on the server.
"""
from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import noto_cjk_sans_otc
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

FONT_FAMILY = "Duban CJK"
FONT_PATH = Path(noto_cjk_sans_otc.FONT_PATH).resolve()


class ForbiddenURL(ValueError):
    """The document asked for a resource outside the app's static files and its font."""


class RenderError(RuntimeError):
    """The PDF could not be made (a resource was refused or could not be read)."""


def font_url() -> str:
    """Return the file URL of the CJK font registered with @font-face."""
    return FONT_PATH.as_uri()


class LocalOnlyFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that serves only files under static_folder and the CJK font.

    ``fail_on_errors`` is on: a refused or missing resource stops the rendering instead of
    producing a PDF that silently lacks its font (or anything else it asked for).
    """

    def __init__(self, static_folder: str | Path, extra_files: tuple[Path, ...] = (FONT_PATH,)):
        super().__init__(allowed_protocols=("file",), allow_redirects=False, fail_on_errors=True)
        self.static_folder = Path(static_folder).resolve()
        self.extra_files = tuple(Path(p).resolve() for p in extra_files)

    def allowed_path(self, url: str) -> Path:
        """Return the local file url points at, or raise ForbiddenURL."""
        parts = urlsplit(url)
        if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
            raise ForbiddenURL(f"refused to fetch {url!r}: only the app's static files may be read")
        path = Path(url2pathname(unquote(parts.path))).resolve()
        if path in self.extra_files:
            return path
        if path.is_relative_to(self.static_folder) and path.is_file():
            return path
        raise ForbiddenURL(f"refused to fetch {url!r}: not one of the app's static files")

    def fetch(self, url, headers=None):
        path = self.allowed_path(url)
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": mime})


@dataclass(frozen=True)
class RenderedPdf:
    data: bytes
    pages: int


def render_pdf(html: str, css: str, static_folder: str | Path, fonts: tuple[Path, ...] = ()) -> RenderedPdf:
    """Lay out html with the print stylesheet css and return the PDF bytes and page count.

    Relative URLs in either resolve against static_folder, the only folder the fetcher reads
    (besides the CJK font and the extra font files in fonts).
    """
    fetcher = LocalOnlyFetcher(static_folder, extra_files=(FONT_PATH, *fonts))
    base_url = Path(static_folder).resolve().as_uri() + "/"
    fonts = FontConfiguration()  # holds the @font-face rules; without it they are ignored
    try:
        stylesheet = CSS(string=css, base_url=base_url, url_fetcher=fetcher, font_config=fonts)
        document = HTML(string=html, base_url=base_url, url_fetcher=fetcher).render(
            stylesheets=[stylesheet], font_config=fonts)
    except FatalURLFetchingError as e:
        # A BaseException in WeasyPrint; turn it into an ordinary error the job can record.
        raise RenderError(f"{e}: {e.__cause__}") from e
    return RenderedPdf(document.write_pdf(), len(document.pages))
