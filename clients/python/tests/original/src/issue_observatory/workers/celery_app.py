# STUB (arena-vault test harness), not the original file. The original configures Celery with a
# Redis broker (celery, python-dotenv, the beat schedule). The tests call the vendored task
# functions directly, so `@celery_app.task(...)` only has to give the function back.


class _CeleryApp:
    def task(self, *_args, **_kwargs):
        def register(fn):
            return fn

        return register


celery_app = _CeleryApp()
