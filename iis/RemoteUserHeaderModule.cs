// Windows sign-on (README): passes the user IIS authenticated to the app behind ARR.
//
// URL Rewrite's rules run at BeginRequest, before IIS knows the user, so a rule cannot do this
// (docs/windows-sign-on.md). This module runs at PostAuthenticateRequest, after authentication and
// before ARR forwards the request: it removes every X-Remote-User header the client sent, in any
// spelling a WSGI server would read as the same name, then sets it to the signed-in name. The app
// takes it from IIS's address only (app/hosting/wsgi.py, RemoteUser).
//
// Registered in web.config without preCondition="managedHandler": ARR's handler is native, and a
// module with that precondition would not run for it. Compiled by the .NET Framework's own csc.exe
// when the image is built (Dockerfile.iis); C# 5, as that compiler reads it.
using System;
using System.Web;

public sealed class RemoteUserHeaderModule : IHttpModule
{
    private const string Header = "X-Remote-User";

    public void Init(HttpApplication application)
    {
        application.PostAuthenticateRequest += OnPostAuthenticateRequest;
    }

    private static void OnPostAuthenticateRequest(object sender, EventArgs e)
    {
        HttpContext context = ((HttpApplication)sender).Context;
        HttpRequest request = context.Request;
        foreach (string name in request.Headers.AllKeys)
        {
            if (NamesRemoteUser(name))
            {
                request.Headers.Remove(name);
            }
        }
        if (context.User != null && context.User.Identity != null && context.User.Identity.IsAuthenticated)
        {
            request.Headers.Set(Header, context.User.Identity.Name);
        }
    }

    // Whether a request header is one the app would read as the user: X-Remote-User in any case,
    // with "_" for "-" (a WSGI server folds both into HTTP_X_REMOTE_USER). A pure function, so that
    // the tests run it (under mono) against the stand-in's rule for the same decision.
    public static bool NamesRemoteUser(string name)
    {
        return string.Equals(name.Replace('_', '-'), Header, StringComparison.OrdinalIgnoreCase);
    }

    public void Dispose()
    {
    }
}
