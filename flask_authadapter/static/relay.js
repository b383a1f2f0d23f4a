// Posts the relay form of auth/relay.html as soon as the page is read (the button is there
// for browsers without scripts).
document.getElementById("auth-relay").submit();
