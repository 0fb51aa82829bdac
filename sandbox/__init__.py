"""A WeCom simulator: the qyapi endpoints, install/OAuth/login/register pages and a callback
pusher, so isvportal runs and is tested end to end without a WeCom account.

It talks to the portal only over HTTP, as WeCom does.
"""
