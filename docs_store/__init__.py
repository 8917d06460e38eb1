"""docs_store: the document core — PDF ingest, rendering, packets, watermarks, annotations, search.

The core below is pure of web and database (the database edge is ``store`` and the modules its docstring
lists): plain functions and frozen dataclasses over paths, bytes and text. Errors are
``meetings.errors`` types: ``PdfRejected(Invalid)`` (422, with a machine ``reason``), ``Invalid``,
``NotFound``, ``PayloadTooLarge`` (413). Pages are numbered from 1; positions on a page are fractions
0..1 of the page *as displayed* (after /Rotate), top-left origin (``words.NormRect``). Every call that
opens a PDF blocks: run it off the event loop (``anyio.to_thread.run_sync``).

Ingest (an upload, in this order)
    ``blobs.BlobStore(root)``
        ``.put_stream(chunks, max_bytes) -> StoredBlob(sha256, size, path)``: streamed to a temp file,
        hashed while written, ``PayloadTooLarge`` as soon as the limit is passed, then linked atomically
        to ``root/ab/abcd…`` (same content → same, untouched file). ``.put_file(path, max_bytes)``,
        ``.path_for(sha256)`` (``Invalid`` unless 64 hex digits), ``.exists(sha256)``.
    ``inspect.inspect_pdf(path, limits=PdfLimits()) -> PdfInfo`` — in a killable child process:
        ``PdfLimits(max_bytes=200 MiB, max_pages=2000, parse_seconds=20, max_page_side_pt=14400,
        max_memory_bytes=1 GiB, accept_restricted=False)``;
        ``PdfInfo(pages, title, page_sizes, has_javascript, has_launch, page_hashes, repaired, warnings)``.
        Rejection reasons: empty, not_pdf, damaged, password, encrypted, no_pages, too_many_pages,
        page_too_large, page_tree_loop, timeout, out_of_memory (messages in ``validate``/``pagetree``).
        ``inspect.worker_context()`` starts the forkserver early (e.g. in the app's lifespan).
    ``sanitize.sanitize_pdf(src, dst) -> int``: the delivered copy, without JavaScript, launch actions,
        ``javascript:`` links, additional actions or XFA; unencrypted. Returns the number of removals.
    ``pagehash.page_hashes(doc) -> list[str]``: per-page content hashes (also in ``PdfInfo``); unchanged
        pages keep theirs across versions, re-saves and moves — key page images and annotations on them.
    Suggested flow: ``put_stream`` → ``inspect_pdf(blob.path)`` → ``sanitize_pdf`` → ``put_file`` the
    delivered copy; store both hashes, the ``PdfInfo`` and the page hashes with the DocumentVersion.

Reading (tablets)
    ``render.render_page(pdf, page_no, width, fmt="png"|"jpeg", jpeg_quality=85) -> bytes``;
        ``ALLOWED_WIDTHS = (160, 320, 640, 960, 1280, 1600, 2048)``, else ``Invalid``; a missing page is
        ``NotFound``. PyMuPDF 2.0 writes no WebP. ``render.page_words(pdf, page_no) -> list[Word]``
        (``Word(text, x0, y0, x1, y1)``, normalised), ``render.page_text``, ``render.page_count``.
    ``textsearch.fold(text) -> str`` (lower case, no marks, đ→d, spaces collapsed: index and query both);
        ``textsearch.snippet(page_text, query, width=80) -> Snippet(text, start, end) | None``.

Packets and copies
    ``packet.compile_packet(PacketSpec(meeting_title, body, host, start_local, bridge_points,
        items=[PacketItem(title, presenter, documents=[PacketDoc(title, path)])]), dst)
        -> PacketResult(path, pages, toc_entries=(TocEntry(level, title, page, presenter),), front_pages)``:
        cover, contents (printed body page numbers, clickable), bookmarks (items, documents, and the
        documents' own), page labels i, ii… then 1…n. Document pages are copied unchanged (same hashes).
    ``watermark.watermark_copy(src, dst, text, mark=None) -> mark``: diagonal + footer on every page,
        mark id in ``/Info`` and hidden on each page; ``watermark.read_mark(path) -> str | None``.

Annotations
    ``anchoring.reanchor_all(anchors, old_page_hashes, new_pages) -> list[Reanchored | Orphaned]``:
        ``Anchor(page, quote, prefix, suffix, rects)``, ``NewPage(hash, words)``;
        ``Reanchored(page, rects, how)``, ``Orphaned(reason, last_page)``; also ``reanchor``,
        ``follow_page`` (text-less marks by page hash). One answer per anchor, never a silent drop.
    ``annotations_pdf.export_annotations(src, dst, [Highlight | Ink | Note | Arrow]) -> int`` and
        ``annotations_pdf.read_annotations(path) -> list[dict]`` (``to_dict``/``from_dict`` round-trip).

Demo and fonts
    ``demo_pdfs.write_demo_agenda(folder) -> list[DemoDoc(title, presenter, path)]``: five council
        papers, ~100 pages, byte-identical every run. Fonts: DejaVu Sans/Serif (Debian package
        ``fonts-dejavu-core``; ``$CAUHOP_FONT_DIR`` to point elsewhere), see ``fonts``.
        ``typeset.Flow`` is the small A4 typesetter they share (also used by ``minutes_pdf``).

Measured on the 2-core development machine (PyMuPDF 2.0 / MuPDF 1.28.5), demo papers: render at width
1280 ≈ 90-115 ms/page PNG (≈ 135-160 ms JPEG), 640 ≈ 30 ms, 160 ≈ 8 ms; ``page_words`` ≈ 10 ms/page;
packet of 312 pages ≈ 125-140 ms to compile (so recompiling is simply compiling again);
watermarked 312-page copy ≈ 0.21-0.27 s; ``inspect_pdf`` of that packet ≈ 0.35 s (≈ 20 ms per child
after the first); ``sanitize_pdf`` ≈ 70 ms; demo agenda ≈ 1.5-2.5 s.
"""
