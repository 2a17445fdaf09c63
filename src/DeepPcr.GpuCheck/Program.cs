using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using DeepPcr.GpuCheck;

// Prints one JSON object to stdout (and to --out FILE, rewritten after every stage, so that a
// crash or a timeout keeps what was found). Progress goes to stderr. It never throws: a stage's
// exception is recorded in that stage.
var serializer = new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
JsonObject report;
CheckOptions? options;
try
{
    options = CheckOptions.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
{
    Console.Error.WriteLine($"{e.Message}\n\n{CheckOptions.Usage}");
    return 2;
}
if (options is null)
{
    Console.WriteLine(CheckOptions.Usage);
    return 0;
}

try
{
    report = RouteCheck.RunAll(options, (partial, key) =>
    {
        string outcome = partial[key] is JsonObject stage && key != "summary" ? RouteCheck.Outcome(stage) : "done";
        Console.Error.WriteLine($"[gpucheck] {key}: {outcome}");
        Save(options.OutFile, partial, serializer);
    });
}
catch (Exception e)
{
    report = new JsonObject { ["tool"] = "DeepPcr.GpuCheck", ["fatal"] = Stage.Failure(e) };
    Save(options.OutFile, report, serializer);
}
Console.WriteLine(report.ToJsonString(serializer));
return 0;

static void Save(string? file, JsonObject report, JsonSerializerOptions serializer)
{
    if (file is null)
        return;
    try
    {
        string? folder = Path.GetDirectoryName(Path.GetFullPath(file));
        if (folder is not null)
            Directory.CreateDirectory(folder);
        string temporary = file + ".tmp";
        File.WriteAllText(temporary, report.ToJsonString(serializer));
        File.Move(temporary, file, overwrite: true);
    }
    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
    {
        Console.Error.WriteLine($"[gpucheck] could not write {file}: {e.Message}");
    }
}
