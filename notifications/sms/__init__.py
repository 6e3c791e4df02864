"""Text messages: notifications by SMS to a number its holder verified, through a provider chosen
by settings (SMS_PROVIDER: "offline" writes each text to a file under var/sms/ for the demo,
"twilio" sends through Twilio, empty sends none).

- `providers`: the provider interface (send a text, read its delivery callbacks and the texts
  people send back) and the two providers.
- `services`: a user's number (add, verify by a code texted to it, remove), STOP and START, a
  delivery report recorded on its Message, and the channel's sender, registered with
  notifications.sending and notifications.services by `register()` (NotificationsConfig.ready).
- `views`: the Text messages page (/notifications/phone/) and the provider's two webhooks
  (delivery status, inbound texts), each checked by the provider's signature.
"""
