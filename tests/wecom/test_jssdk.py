from wecom.jssdk import nonce, page_url, sign

TICKET = "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg"


def test_the_official_vector():
    assert (
        sign(
            ticket=TICKET,
            noncestr="Wm3WZYTPz0wzccnW",
            timestamp=1414587457,
            url="http://mp.weixin.qq.com?params=value",
        )
        == "0f9de62fce790f9a083d5c99e95740ceb90c27ed"
    )


def test_the_fragment_is_not_signed():
    base = "https://isv.example.com/app?x=1"
    assert page_url(base + "#/route") == base
    assert sign(ticket="t", noncestr="n", timestamp=1, url=base + "#frag") == sign(
        ticket="t", noncestr="n", timestamp=1, url=base
    )


def test_nonces_are_alphanumeric_and_fresh():
    values = {nonce() for _ in range(100)}
    assert len(values) == 100
    assert all(len(v) == 16 and v.isalnum() for v in values)
