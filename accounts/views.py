from django.http import HttpResponse


def confirm(request, token):
    return HttpResponse("Confirmation lands with the subscriber web flows.", status=501)


def signin(request, token):
    return HttpResponse("Sign-in lands with the subscriber web flows.", status=501)


def account(request):
    return HttpResponse("The account page lands with the subscriber web flows.", status=501)


def unsubscribe(request, token):
    return HttpResponse("Unsubscribe lands with the subscriber web flows.", status=501)
