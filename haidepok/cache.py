"""Django's Redis cache, with one Redis client per connection pool.

Django's own client builds a new redis.Redis for every cache call, and with it the table of
two hundred response callbacks that redis-py fills in its constructor: about 150 µs a call on
our servers, as much as the call itself. A redis.Redis over a connection pool is safe to share
between threads, so each pool keeps one.
"""

from django.core.cache.backends import redis as django_redis


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(pool)
        if client is None:
            client = self._clients[pool] = self._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
