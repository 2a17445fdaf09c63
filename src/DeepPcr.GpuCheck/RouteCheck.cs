using System.Text.Json.Nodes;
using DeepPcr.GpuCheck.DriverApi;

namespace DeepPcr.GpuCheck;

/// <summary>
/// The whole check: runtime, devices, retry (when no CUDA device is listed), kernel (and
/// kernel_retry with PTX ISA 8.0 when a CUDA kernel failed), driver API, TorchSharp probe (last,
/// only with a torch lib folder). Each stage is also callable alone.
/// Every stage's outcome is recorded as it finishes, so a failure keeps the earlier results.
/// </summary>
public static class RouteCheck
{
    /// <summary>The top-level keys of the report, in order.</summary>
    public static readonly IReadOnlyList<string> StageKeys = ["runtime", "devices", "retry", "kernel", "kernel_retry", "driver_api", "torchsharp"];

    /// <summary>The <c>"runtime"</c> stage.</summary>
    /// <returns>Its JSON.</returns>
    public static JsonObject Runtime() => Stage.Run(RuntimeStage.Run);

    /// <summary>The <c>"devices"</c> stage with ILGPU's default context.</summary>
    /// <returns>Its JSON.</returns>
    public static JsonObject Devices() => Stage.Run(() => DevicesStage.Run(ContextRecipe.Default));

    /// <summary>The <c>"retry"</c> stage.</summary>
    /// <param name="selected">The first retry recipe that listed a usable CUDA device, or null.</param>
    /// <returns>Its JSON.</returns>
    public static JsonObject Retry(out ContextRecipe? selected)
    {
        ContextRecipe? chosen = null;
        var json = Stage.Run(() => RetryStage.Run(out chosen));
        selected = chosen;
        return json;
    }

    /// <summary>The <c>"kernel"</c> stage.</summary>
    /// <param name="recipe">The context recipe (default: ILGPU's default).</param>
    /// <param name="options">Sizes and accelerator choice (default: <see cref="KernelOptions"/>'s defaults).</param>
    /// <returns>Its JSON.</returns>
    public static JsonObject Kernel(ContextRecipe? recipe = null, KernelOptions? options = null) =>
        Stage.Run(() => KernelStage.Run(recipe ?? ContextRecipe.Default, options ?? new KernelOptions()));

    /// <summary>The <c>"driver_api"</c> stage.</summary>
    /// <param name="elements">Elements of its array.</param>
    /// <param name="repetitions">Timed launches.</param>
    /// <returns>Its JSON.</returns>
    public static JsonObject DriverApi(int elements = 1 << 20, int repetitions = 20) =>
        Stage.Run(() => DriverApiRoute.Run(elements, repetitions));

    /// <summary>The <c>"torchsharp"</c> stage.</summary>
    /// <param name="torchLib">The torch/lib folder.</param>
    /// <param name="probePath">The probe, or null for the default places.</param>
    /// <param name="timeout">The probe's time limit.</param>
    /// <returns>Its JSON.</returns>
    public static JsonObject TorchSharp(string torchLib, string? probePath, TimeSpan timeout) =>
        Stage.Run(() => TorchProbeRunner.Run(torchLib, probePath, timeout));

    /// <summary>Runs every stage in order.</summary>
    /// <param name="options">The options.</param>
    /// <param name="onStage">Called with the report and the stage's key after each stage (to save or log it).</param>
    /// <returns>The report.</returns>
    public static JsonObject RunAll(CheckOptions options, Action<JsonObject, string>? onStage = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var report = new JsonObject
        {
            ["tool"] = "DeepPcr.GpuCheck",
            ["started_utc"] = DateTime.UtcNow.ToString("O"),
            ["args"] = new JsonArray(Environment.GetCommandLineArgs().Skip(1).Select(a => (JsonNode?)a).ToArray()),
        };
        void Record(string key, JsonObject stage)
        {
            report[key] = stage;
            onStage?.Invoke(report, key);
        }

        Record("runtime", Runtime());

        var devices = Devices();
        Record("devices", devices);
        int cudaDevices = DevicesStage.CudaCount(devices);

        ContextRecipe recipe = ContextRecipe.Default;
        if (cudaDevices > 0)
        {
            Record("retry", Stage.Skipped($"the default context lists {cudaDevices} CUDA device(s)"));
        }
        else
        {
            Record("retry", Retry(out var selected));
            if (selected is not null)
                recipe = selected;
        }

        var kernel = Kernel(recipe, options.Kernel);
        Record("kernel", kernel);
        bool cudaKernelOk = IsCudaKernelOk(kernel);
        bool cudaListed = cudaDevices > 0 || recipe != ContextRecipe.Default;
        if (cudaListed && !cudaKernelOk && options.Kernel.Accelerator != AcceleratorChoice.Cpu)
        {
            // The CUDA kernel failed: once more with ILGPU emitting older PTX (ISA 8.0).
            var again = Kernel(ContextRecipe.CudaIsa80, options.Kernel with { Accelerator = AcceleratorChoice.Cuda });
            Record("kernel_retry", again);
            cudaKernelOk = IsCudaKernelOk(again);
        }

        bool runDriverApi = options.DriverApi switch
        {
            DriverApiMode.Always => true,
            DriverApiMode.Never => false,
            _ => !cudaKernelOk,
        };
        Record("driver_api", runDriverApi
            ? DriverApi(repetitions: options.Kernel.Repetitions)
            : Stage.Skipped($"--driver-api {options.DriverApi.ToString().ToLowerInvariant()} and ILGPU's CUDA kernel ran"));

        Record("torchsharp", options.TorchLib is null
            ? Stage.Skipped("no --torch-lib given")
            : TorchSharp(options.TorchLib, options.TorchProbe, options.ProbeTimeout));

        report["finished_utc"] = DateTime.UtcNow.ToString("O");
        report["summary"] = Summary(report);
        onStage?.Invoke(report, "summary");
        return report;
    }

    private static bool IsCudaKernelOk(JsonObject kernel) =>
        kernel["ok"]?.GetValue<bool>() == true && kernel["accelerator"]?["type"]?.GetValue<string>() == "Cuda";

    /// <summary>One line per stage: ok, failed or skipped.</summary>
    /// <param name="report">A report from <see cref="RunAll"/>.</param>
    /// <returns>A JSON object from stage key to "ok", "failed: ..." or "skipped".</returns>
    public static JsonObject Summary(JsonObject report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var summary = new JsonObject();
        foreach (string key in StageKeys)
        {
            if (report[key] is JsonObject stage)
                summary[key] = Outcome(stage);
        }
        return summary;
    }

    /// <summary>A stage's outcome in a few words.</summary>
    /// <param name="stage">A stage's JSON.</param>
    /// <returns>"ok", "skipped" or "failed: " and its error.</returns>
    public static string Outcome(JsonObject stage)
    {
        ArgumentNullException.ThrowIfNull(stage);
        if (stage["skipped"]?.GetValue<bool>() == true)
            return "skipped";
        return stage["ok"]?.GetValue<bool>() == true ? "ok" : $"failed: {stage["error"]}";
    }
}
