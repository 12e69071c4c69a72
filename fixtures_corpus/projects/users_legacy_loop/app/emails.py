async def send_welcome_email(email: str) -> None:
    print("sending", email)
