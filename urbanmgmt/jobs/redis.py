"""The Redis connection of the queue: django-rq opens a new connection (and reads the redis
package's metadata) for every enqueue and every finished job when given a URL, ~2 ms each;
given a cache alias (USE_REDIS_CACHE) it takes that cache's `_client`. Django's own Redis
cache keeps one connection pool per process: lend it."""

from django.core.cache.backends.redis import RedisCache


class QueueConnection(RedisCache):
    """Django's Redis cache whose pooled client django-rq uses as its connection."""

    @property
    def _client(self):
        return self._cache.get_client(write=True)
