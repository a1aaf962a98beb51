"""``wnet.dfs_targets``'s records, built from what the native call returns (no network)."""

import wnet
import wnet._api as _api


def test_the_native_answer_becomes_typed_records_in_order():
    raw = (
        r"\\fs1\docs\target.txt",
        [
            (r"\\fs1\dfs\nested", True, [r"\\fs2\dfs2"], 0, 300),
            (r"\\fs2\dfs2\deep", True, [r"\\fs3\docs", r"\\fs1\docs"], 1, 299),
        ],
        4,
    )
    targets = _api._dfs_targets(raw)
    assert isinstance(targets, wnet.DfsTargets)
    assert targets.physical == r"\\fs1\docs\target.txt"
    assert targets.referral_requests == 4
    assert [r.prefix for r in targets.referrals] == [r"\\fs1\dfs\nested", r"\\fs2\dfs2\deep"]
    deep = targets.referrals[1]
    assert isinstance(deep, wnet.DfsReferral)
    assert deep.link is True
    assert deep.targets == (r"\\fs3\docs", r"\\fs1\docs")
    assert deep.active == 1
    assert deep.active_target == r"\\fs1\docs"
    assert deep.ttl == 299


def test_a_path_in_no_namespace_has_no_referrals():
    targets = _api._dfs_targets((r"\\fs1\public\a.txt", [], 0))
    assert targets.referrals == ()
    assert targets.physical == r"\\fs1\public\a.txt"


def test_an_active_index_out_of_range_names_no_target():
    referral = wnet.DfsReferral(r"\\fs1\dfs", False, (), 0, 300)
    assert referral.active_target is None


def test_the_call_is_exported_with_its_asyncio_variant():
    import wnet.aio

    assert "dfs_targets" in wnet.__all__
    assert callable(wnet.aio.dfs_targets)
