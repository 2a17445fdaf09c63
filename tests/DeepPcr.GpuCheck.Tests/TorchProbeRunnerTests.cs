using DeepPcr.GpuCheck;

namespace DeepPcr.GpuCheck.Tests;

/// <summary>The TorchSharp stage's child-process handling, with stand-in probes written as shell scripts.</summary>
public sealed class TorchProbeRunnerTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("deeppcr-gpucheck-tests-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private string Script(string name, string body)
    {
        string path = Path.Combine(folder, name);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    [Fact]
    public void A_missing_probe_is_reported_not_thrown()
    {
        var stage = RouteCheck.TorchSharp("/nonexistent", Path.Combine(folder, "no-such-probe"), TimeSpan.FromSeconds(5));

        Assert.False(stage["ok"]!.GetValue<bool>());
        Assert.Equal("TorchProbe not found", stage["error"]!.GetValue<string>());
    }

    [Fact]
    public void A_failing_probe_gives_its_exit_code_json_and_stderr()
    {
        if (!OperatingSystem.IsLinux())
            return;
        string probe = Script("fail.sh", """
            echo 'noise from a library'
            echo '{"ok":false,"error":"preload: /nonexistent does not exist"}'
            echo 'something went wrong' >&2
            exit 1
            """);

        var stage = RouteCheck.TorchSharp("/nonexistent", probe, TimeSpan.FromSeconds(20));

        Assert.False(stage["ok"]!.GetValue<bool>());
        Assert.Equal(1, stage["exit_code"]!.GetValue<int>());
        Assert.False(stage["timed_out"]!.GetValue<bool>());
        Assert.Equal("preload: /nonexistent does not exist", stage["result"]!["error"]!.GetValue<string>());
        Assert.Contains("preload: /nonexistent", stage["error"]!.GetValue<string>());
        Assert.Equal("noise from a library", stage["stdout"]!.GetValue<string>().Trim());
        Assert.Contains("something went wrong", stage["stderr_tail"]!.GetValue<string>());
    }

    [Fact]
    public void A_probe_that_writes_its_result_file_and_succeeds_is_ok()
    {
        if (!OperatingSystem.IsLinux())
            return;
        // Arguments: --torch-lib DIR --out FILE
        string probe = Script("ok.sh", """
            echo '{"ok":true,"from":"file"}' > "$4"
            echo '{"ok":true,"from":"stdout"}'
            """);

        var stage = RouteCheck.TorchSharp("/some/torch/lib", probe, TimeSpan.FromSeconds(20));

        Assert.True(stage["ok"]!.GetValue<bool>(), stage.ToJsonString());
        Assert.Equal("file", stage["result"]!["from"]!.GetValue<string>());
        Assert.Equal(0, stage["exit_code"]!.GetValue<int>());
    }

    [Fact]
    public void A_hanging_probe_is_killed_at_the_timeout()
    {
        if (!OperatingSystem.IsLinux())
            return;
        string probe = Script("hang.sh", "echo started >&2\nexec sleep 60");

        var stage = RouteCheck.TorchSharp("/nonexistent", probe, TimeSpan.FromSeconds(1));

        Assert.False(stage["ok"]!.GetValue<bool>());
        Assert.True(stage["timed_out"]!.GetValue<bool>());
        Assert.Null(stage["exit_code"]);
        Assert.Contains("timed out", stage["error"]!.GetValue<string>());
        Assert.True(stage["child_ms"]!.GetValue<double>() < 15000);
    }

    [Fact]
    public void A_probe_killed_by_a_signal_is_reported_as_a_native_crash()
    {
        if (!OperatingSystem.IsLinux())
            return;
        string probe = Script("crash.sh", "kill -SEGV $$");

        var stage = RouteCheck.TorchSharp("/nonexistent", probe, TimeSpan.FromSeconds(20));

        Assert.False(stage["ok"]!.GetValue<bool>());
        Assert.Contains("signal 11", stage["error"]!.GetValue<string>());
    }
}
