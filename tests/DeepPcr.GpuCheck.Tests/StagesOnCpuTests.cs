using System.Text.Json.Nodes;
using DeepPcr.GpuCheck;
using DeepPcr.GpuCheck.DriverApi;

namespace DeepPcr.GpuCheck.Tests;

/// <summary>The check's stages on this machine, which has no GPU.</summary>
public class StagesOnCpuTests
{
    [Fact]
    public void Runtime_stage_describes_this_process()
    {
        var runtime = RouteCheck.Runtime();

        Assert.True(runtime["ok"]!.GetValue<bool>(), runtime.ToJsonString());
        Assert.Equal(Environment.Version.ToString(), runtime["dotnet_version"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(runtime["os_description"]!.GetValue<string>()));
        Assert.Equal("X64", runtime["process_architecture"]!.GetValue<string>());
        Assert.False(runtime["self_contained"]!.GetValue<bool>());   // the test host uses the shared runtime
        Assert.False(runtime["single_file"]!.GetValue<bool>());
        Assert.Equal("1.5.3.0", runtime["ilgpu_version"]!.GetValue<string>());
        if (OperatingSystem.IsLinux())
            Assert.Matches(@"^\d+\.\d+", runtime["glibc"]!.GetValue<string>());
    }

    [Fact]
    public void Devices_stage_lists_the_cpu_accelerator_and_no_cuda_device()
    {
        var devices = RouteCheck.Devices();

        Assert.True(devices["ok"]!.GetValue<bool>(), devices.ToJsonString());
        var list = devices["devices"]!.AsArray().Select(d => d!.AsObject()).ToList();
        var cpu = Assert.Single(list, d => d["accelerator_type"]!.GetValue<string>() == "CPU");
        Assert.True(cpu["max_threads_per_group"]!.GetValue<int>() > 0);
        Assert.True(cpu["warp_size"]!.GetValue<int>() > 0);
        Assert.Equal(0, devices["cuda_devices"]!.GetValue<int>());
        Assert.Equal("installed", devices["libcuda"]!["resolver"]!.GetValue<string>());
    }

    [Fact]
    public void Kernel_stage_runs_on_the_cpu_accelerator_with_an_exact_result()
    {
        var kernel = RouteCheck.Kernel(ContextRecipe.Default, TinySizes.Kernel);

        Assert.True(kernel["ok"]!.GetValue<bool>(), kernel.ToJsonString());
        Assert.Equal("CPU", kernel["accelerator"]!["type"]!.GetValue<string>());
        Assert.Equal(1024, kernel["elements"]!.GetValue<int>());
        Assert.Equal(0.0, kernel["max_error"]!.GetValue<double>());
        Assert.True(kernel["first_launch_ms"]!.GetValue<double>() >= kernel["load_kernel_ms"]!.GetValue<double>());
        Assert.True(kernel["launch_median_ms"]!.GetValue<double>() > 0);
        var copy = kernel["copy"]!.AsObject();
        Assert.Equal(1L << 20, copy["bytes"]!.GetValue<long>());
        Assert.True(copy["gb_per_s"]!.GetValue<double>() > 0);
    }

    [Fact]
    public void Kernel_stage_asked_for_cuda_fails_cleanly_without_a_gpu()
    {
        var kernel = RouteCheck.Kernel(ContextRecipe.Default, TinySizes.Kernel with { Accelerator = AcceleratorChoice.Cuda });

        Assert.False(kernel["ok"]!.GetValue<bool>());
        Assert.Contains("No CUDA device", kernel["error"]!.GetValue<string>());
    }

    [Fact]
    public void Retry_stage_tries_every_recipe_and_finds_no_cuda_device()
    {
        var retry = RouteCheck.Retry(out var selected);

        Assert.Null(selected);
        Assert.False(retry["ok"]!.GetValue<bool>());
        var names = retry["attempts"]!.AsArray().Select(a => a!["name"]!.GetValue<string>());
        Assert.Equal(ContextRecipe.Retries.Select(r => r.Name), names);
        Assert.All(retry["attempts"]!.AsArray(), a => Assert.True(a!["ok"]!.GetValue<bool>(), a.ToJsonString()));
        if (!LibCuda.TryLoad(out _, out _, []))
            Assert.False(retry["ilgpu_cuda"]!["is_supported"]!.GetValue<bool>());
    }

    [Fact]
    public void Driver_api_route_reports_libcuda_not_found_instead_of_throwing()
    {
        if (LibCuda.TryLoad(out _, out _, []))
            return;   // a machine with the NVIDIA driver: nothing to check here

        var route = RouteCheck.DriverApi(elements: 16, repetitions: 1);

        Assert.False(route["ok"]!.GetValue<bool>());
        Assert.Equal(DriverApiRoute.LibCudaNotFound, route["error"]!.GetValue<string>());
        Assert.Null(route["exception"]);
        Assert.Equal(LibCuda.Candidates.Count, route["tried"]!.AsArray().Count);
    }

    [Fact]
    public void The_whole_check_has_the_documented_keys_and_keeps_going()
    {
        var stages = new List<string>();
        var report = RouteCheck.RunAll(new CheckOptions { Kernel = TinySizes.Kernel }, (_, key) => stages.Add(key));

        string[] keys = ["tool", "started_utc", "args", "runtime", "devices", "retry", "kernel", "driver_api", "torchsharp", "finished_utc", "summary"];
        Assert.Equal(keys, report.Select(p => p.Key));
        // kernel_retry runs only after a failed CUDA kernel: not here.
        Assert.Equal(["runtime", "devices", "retry", "kernel", "driver_api", "torchsharp", "summary"], stages);
        foreach (string key in stages.SkipLast(1))
            Assert.NotNull(report[key]!["ok"]);
        Assert.Null(report["kernel_retry"]);
        Assert.True(report["kernel"]!["ok"]!.GetValue<bool>());
        Assert.Equal("skipped", report["summary"]!["torchsharp"]!.GetValue<string>());
        Assert.Equal("ok", report["summary"]!["runtime"]!.GetValue<string>());
        Assert.NotNull(JsonNode.Parse(report.ToJsonString()));
    }
}
