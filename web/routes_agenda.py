"""The agenda (chương trình nghị sự) and the packet (bộ tài liệu) of a meeting, and search within it.
Handlers make one call into ``docs_store`` (``agenda``, ``meeting_packet``, ``search``)."""

from __future__ import annotations

from starlette.responses import Response

from docs_store import agenda, meeting_packet, search
from docs_store.models import (
    AgendaItemIn,
    AgendaItemOut,
    AgendaItemPatch,
    AgendaOrderIn,
    PacketOut,
    SearchHit,
    SearchQuery,
)
from web.endpoint import ApiRoute, Call
from web.routes_documents import documents, pdf_response


def list_agenda(call: Call) -> list[AgendaItemOut]:
    with call.read() as s:
        return agenda.agenda(s, call.user, call.path["meeting_id"])


def add_item(call: Call) -> AgendaItemOut:
    with call.write() as s:
        return agenda.add_item(s, call.user, call.now, call.path["meeting_id"], call.body)


def edit_item(call: Call) -> AgendaItemOut:
    with call.write() as s:
        return agenda.edit_item(
            s, call.user, call.now, call.path["meeting_id"], call.path["item_id"], call.body
        )


def delete_item(call: Call) -> Response:
    with call.write() as s:
        agenda.remove_item(s, call.user, call.now, call.path["meeting_id"], call.path["item_id"])
    return Response(status_code=204)


def reorder(call: Call) -> list[AgendaItemOut]:
    body: AgendaOrderIn = call.body
    with call.write() as s:
        return agenda.reorder(s, call.user, call.now, call.path["meeting_id"], body.item_ids)


def compile_packet(call: Call) -> PacketOut:
    return meeting_packet.compile_packet(
        documents(call.request), call, call.user, call.now, call.path["meeting_id"]
    )


def get_packet(call: Call) -> Response:
    with call.read() as s:
        ref = meeting_packet.packet_file(s, documents(call.request).blobs, call.user, call.path["meeting_id"])
    return pdf_response(call, ref, pinned=False)


def packet_info(call: Call) -> PacketOut:
    with call.read() as s:
        return meeting_packet.packet_info(s, call.user, call.path["meeting_id"])


def my_packet(call: Call) -> Response:
    ref = meeting_packet.packet_copy(
        documents(call.request), call, call.user, call.now, call.path["meeting_id"]
    )
    return pdf_response(call, ref, pinned=False)


def search_meeting(call: Call) -> list[SearchHit]:
    q: SearchQuery = call.query
    with call.read() as s:
        return search.search(s, call.user, q.q, q.limit, meeting_id=call.path["meeting_id"])


AGENDA = "/api/meetings/{meeting_id:int}/agenda"
PACKET = "/api/meetings/{meeting_id:int}/packet"

ROUTES: list[ApiRoute] = [
    ApiRoute("GET", AGENDA, list_agenda, "The agenda, with the documents you may read", "agenda",
             response=AgendaItemOut, many=True, errors=(403, 404)),
    ApiRoute("POST", AGENDA, add_item, "Add an agenda item (chair, secretary)", "agenda", body=AgendaItemIn,
             response=AgendaItemOut, status=201, errors=(403, 404, 422)),
    ApiRoute("PUT", AGENDA + "/order", reorder, "Reorder the agenda (every item, once)", "agenda",
             body=AgendaOrderIn, response=AgendaItemOut, many=True, errors=(403, 404, 422)),
    ApiRoute("PATCH", AGENDA + "/{item_id:int}", edit_item, "Edit an agenda item", "agenda",
             body=AgendaItemPatch, response=AgendaItemOut, errors=(403, 404, 422)),
    ApiRoute("DELETE", AGENDA + "/{item_id:int}", delete_item, "Delete an agenda item without documents",
             "agenda", status=204, errors=(403, 404, 409)),
    ApiRoute("POST", PACKET, compile_packet, "Compile and publish the packet (reused when nothing changed)",
             "agenda", response=PacketOut, status=201, errors=(403, 404)),
    ApiRoute("GET", PACKET, get_packet, "The published packet (range requests; audited)", "agenda",
             errors=(403, 404)),
    ApiRoute("GET", PACKET + "/info", packet_info, "What the published packet holds (pages, contents, when)",
             "agenda", response=PacketOut, errors=(403, 404)),
    ApiRoute("GET", PACKET + "/mine", my_packet, "Your watermarked copy of the packet", "agenda",
             errors=(403, 404, 422)),
    ApiRoute("GET", "/api/meetings/{meeting_id:int}/search", search_meeting,
             "Search the meeting's documents (accents ignored)", "agenda", query=SearchQuery,
             response=SearchHit, many=True, errors=(403, 404, 422)),
]  # fmt: skip
