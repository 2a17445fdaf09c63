using System.Text.Json.Nodes;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace DeepPcr.GpuCheck;

/// <summary>
/// The <c>"kernel"</c> stage: compiles and runs out[i] = 2 in[i] + 1 on one accelerator, checks
/// the result on the host, and times the first launch (with compilation), later launches and a
/// device-to-device copy.
/// </summary>
public static class KernelStage
{
    /// <summary>Runs the stage.</summary>
    /// <param name="recipe">How to build the context (one that lists the wanted CUDA device, if any).</param>
    /// <param name="options">Sizes, repetitions and accelerator choice.</param>
    /// <returns><c>"accelerator"</c>, sizes, <c>"max_error"</c>, timings and <c>"copy"</c>; <c>"ok"</c> is false on a wrong result.</returns>
    public static JsonObject Run(ContextRecipe recipe, KernelOptions options)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        ArgumentNullException.ThrowIfNull(options);
        LibCuda.EnsureIlgpuResolver();
        using var context = recipe.Create();
        var device = Choose(context, options.Accelerator);
        using var accelerator = device.CreateAccelerator(context);
        bool cuda = accelerator.AcceleratorType == AcceleratorType.Cuda;
        int n = cuda ? options.CudaElements : options.CpuElements;

        var json = new JsonObject
        {
            ["recipe"] = recipe.Name,
            ["accelerator"] = Describe(accelerator),
            ["elements"] = n,
        };
        MeasureKernel(accelerator, n, options.Repetitions, json);
        json["copy"] = MeasureCopy(accelerator, cuda ? options.CudaCopyBytes : options.CpuCopyBytes, options.Repetitions);
        return json;
    }

    /// <summary>The kernel: <c>output[i] = 2 input[i] + 1</c>.</summary>
    /// <param name="index">The element.</param>
    /// <param name="input">Input values.</param>
    /// <param name="output">Output values.</param>
    public static void TwicePlusOne(Index1D index, ArrayView<float> input, ArrayView<float> output) =>
        output[index] = 2f * input[index] + 1f;

    private static Device Choose(Context context, AcceleratorChoice choice)
    {
        var cudaDevice = context.Devices.FirstOrDefault(d => d.AcceleratorType == AcceleratorType.Cuda);
        var cpuDevice = context.Devices.FirstOrDefault(d => d.AcceleratorType == AcceleratorType.CPU);
        return choice switch
        {
            AcceleratorChoice.Cuda => cudaDevice ?? throw new InvalidOperationException("No CUDA device is listed."),
            AcceleratorChoice.Cpu => cpuDevice ?? throw new InvalidOperationException("No CPU accelerator is listed."),
            _ => cudaDevice ?? cpuDevice ?? throw new InvalidOperationException("No CUDA device and no CPU accelerator are listed."),
        };
    }

    private static JsonObject Describe(Accelerator accelerator)
    {
        var json = new JsonObject
        {
            ["name"] = accelerator.Name,
            ["type"] = accelerator.AcceleratorType.ToString(),
        };
        if (accelerator is CudaAccelerator cuda)
        {
            json["architecture"] = cuda.Architecture.ToString();
            json["instruction_set"] = cuda.InstructionSet.ToString();
            json["driver_version"] = cuda.DriverVersion.ToString();
        }
        return json;
    }

    private static void MeasureKernel(Accelerator accelerator, int n, int repetitions, JsonObject json)
    {
        var input = new float[n];
        for (int i = 0; i < n; i++)
            input[i] = i % 4096 - 2048;   // small integers: 2x + 1 is exact in float32
        using var inBuffer = accelerator.Allocate1D(input);
        using var outBuffer = accelerator.Allocate1D<float>(n);

        Action<Index1D, ArrayView<float>, ArrayView<float>>? kernel = null;
        double loadMs = 0;
        double firstMs = Timing.Milliseconds(() =>
        {
            loadMs = Timing.Milliseconds(() =>
                kernel = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>>(TwicePlusOne));
            kernel!(n, inBuffer.View, outBuffer.View);
            accelerator.Synchronize();
        });
        var output = outBuffer.GetAsArray1D();
        double maxError = MaxError(input, output);

        double medianMs = Timing.MedianMilliseconds(() =>
        {
            kernel!(n, inBuffer.View, outBuffer.View);
            accelerator.Synchronize();
        }, repetitions);

        json["ok"] = maxError == 0.0;
        if (maxError != 0.0)
            json["error"] = $"wrong result: max |out - (2 in + 1)| = {maxError}";
        json["max_error"] = maxError;
        json["load_kernel_ms"] = Timing.Round(loadMs);
        json["first_launch_ms"] = Timing.Round(firstMs);
        json["launch_median_ms"] = Timing.Round(medianMs);
        json["repetitions"] = repetitions;
    }

    /// <summary>The largest |output[i] - (2 input[i] + 1)|, computed in double on the host.</summary>
    /// <param name="input">The kernel's input.</param>
    /// <param name="output">The kernel's output, read back.</param>
    /// <returns>The maximum absolute error (infinity on a length mismatch or a non-finite value).</returns>
    public static double MaxError(float[] input, float[] output)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        if (input.Length != output.Length)
            return double.PositiveInfinity;
        double max = 0;
        for (int i = 0; i < input.Length; i++)
        {
            double error = Math.Abs(output[i] - (2.0 * input[i] + 1.0));
            if (double.IsNaN(error))
                return double.PositiveInfinity;
            max = Math.Max(max, error);
        }
        return max;
    }

    private static JsonObject MeasureCopy(Accelerator accelerator, long bytes, int repetitions)
    {
        long elements = bytes / sizeof(float);
        using var source = accelerator.Allocate1D<float>(elements);
        using var target = accelerator.Allocate1D<float>(elements);
        source.MemSetToZero();
        accelerator.Synchronize();
        source.View.CopyTo(target.View);   // warm-up
        accelerator.Synchronize();
        double medianMs = Timing.MedianMilliseconds(() =>
        {
            source.View.CopyTo(target.View);
            accelerator.Synchronize();
        }, repetitions);
        double copied = elements * (double)sizeof(float);
        double gbps = copied / (medianMs / 1000.0) / 1e9;
        return new JsonObject
        {
            ["bytes"] = (long)copied,
            ["median_ms"] = Timing.Round(medianMs),
            ["gb_per_s"] = Timing.Round(gbps),
            ["gb_per_s_read_plus_write"] = Timing.Round(2 * gbps),
            ["repetitions"] = repetitions,
        };
    }
}
