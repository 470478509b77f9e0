"""htmx's Back button: a history restore asks with HX-Request too, and must get the whole
page (a fragment put in place of the body leaves the phone without its header and nav)."""


def test_a_history_restore_gets_the_whole_page(login):
    desk = login("desk")
    swap = desk.get("/service/orders?tab=open", headers={"HX-Request": "true"})
    assert swap.status_code == 200 and "<html" not in swap.text
    restore = desk.get("/service/orders?tab=open",
                       headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert restore.status_code == 200 and "<html" in restore.text and "工单" in restore.text
