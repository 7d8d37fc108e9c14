using Dapr.Profiler.Server;

var builder = WebApplication.CreateBuilder(args);
builder.AddProfilerServer();

var app = builder.Build();
app.MapProfilerServer();

await app.RunAsync();
