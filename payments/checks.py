from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def simulator_in_production(app_configs, **kwargs):
    """The simulator gateway moves no money: a live site must speak to a real one."""
    if settings.PAYMENT_GATEWAY != "simulator":
        return []
    return [
        Warning(
            "PAYMENT_GATEWAY is the simulator: residents' payments move no money.",
            hint="Set PAYMENT_GATEWAY=midtrans and MIDTRANS_SERVER_KEY on a live site.",
            id="payments.W001",
        )
    ]
