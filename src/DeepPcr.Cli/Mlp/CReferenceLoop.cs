using System.Runtime.InteropServices;
using DeepPcr.Cli.Measuring;
using DeepPcr.Models.Mlp;
using static TorchSharp.torch;

namespace DeepPcr.Cli.Mlp;

/// <summary>
/// The single-threaded C reference loop of bench/peers/fused_mlp.c, built with gcc -O3 -march=native -ffast-math
/// into a shared library the first time it is asked for and called in this process, so that the harness interleaves
/// it with the C# loops. Float32, plain MLP layers (tanh, relu, sigmoid, identity). One network and batch per instance.
/// </summary>
public sealed unsafe class CReferenceLoop
{
    /// <summary>The compiler flags of the reference (issue 21).</summary>
    public const string Flags = "-O3 -march=native -ffast-math";

    private static readonly Lazy<(Library? Library, string Status)> Built = new(Build);

    private readonly int layers, width, batch, activation;
    private readonly float[] weights, biases, input, cotangent, states, gradW, gradB, gradX, delta;

    private CReferenceLoop(MlpChain chain, float[] input, float[] cotangent, int activation)
    {
        layers = chain.Length;
        width = chain.Width;
        batch = input.Length / width;
        this.activation = activation;
        using var w = chain.Weights.detach().to_type(ScalarType.Float32).contiguous();
        using var b = chain.Biases.detach().to_type(ScalarType.Float32).contiguous();
        weights = Pinned(w.data<float>().ToArray());
        biases = Pinned(b.data<float>().ToArray());
        this.input = Pinned(input);
        this.cotangent = Pinned(cotangent);
        states = Pinned(new float[(layers + 1) * batch * width]);
        gradW = Pinned(new float[layers * width * width]);
        gradB = Pinned(new float[layers * width]);
        gradX = Pinned(new float[batch * width]);
        delta = Pinned(new float[batch * width]);
    }

    /// <summary>"gcc 12.2.0 -O3 -march=native -ffast-math", or "absent: " and the reason (no gcc, a failed build).</summary>
    public static string Status => Built.Value.Status;

    /// <summary>The loop for this network and batch, or null with the reason when the reference is absent or the
    /// activation is not in it (GELU).</summary>
    /// <param name="chain">The network (any dtype; run in float32).</param>
    /// <param name="input">(B, w) float32.</param>
    /// <param name="cotangent">(B, w) float32: dLoss/dz_L of the backward pass.</param>
    /// <param name="reason">Why there is none, or null.</param>
    public static CReferenceLoop? TryCreate(MlpChain chain, float[] input, float[] cotangent, out string? reason)
    {
        int code = chain.Activation switch { Activation.Tanh => 0, Activation.Relu => 1, Activation.Sigmoid => 2, Activation.Identity => 3, _ => -1 };
        reason = Built.Value.Library is null ? Status : code < 0 ? $"absent: the C reference has no {chain.Activation.Name()}" : null;
        return reason is null ? new CReferenceLoop(chain, input, cotangent, code) : null;
    }

    /// <summary>The forward pass keeping every state (as the C# loop's tape does).</summary>
    public void Forward()
    {
        fixed (float* w = weights, b = biases, x = input, z = states)
        {
            Built.Value.Library!.Forward(layers, width, batch, activation, w, b, x, z);
        }
    }

    /// <summary>The backward pass of sum(z_L * cotangent) from the states of the last <see cref="Forward"/>.</summary>
    public void Backward()
    {
        fixed (float* w = weights, z = states, g = cotangent, gw = gradW, gb = gradB, gx = gradX, d = delta)
        {
            Built.Value.Library!.Backward(layers, width, batch, activation, w, z, g, gw, gb, gx, d);
        }
    }

    /// <summary>The states z_0..z_L (L + 1, B, w) of the last forward pass.</summary>
    public ReadOnlySpan<float> States => states;

    /// <summary>The input gradient (B, w) of the last backward pass.</summary>
    public ReadOnlySpan<float> InputGradient => gradX;

    /// <summary>The weight gradients (L, w, w) of the last backward pass.</summary>
    public ReadOnlySpan<float> WeightGradients => gradW;

    /// <summary>The bias gradients (L, w) of the last backward pass.</summary>
    public ReadOnlySpan<float> BiasGradients => gradB;

    private static float[] Pinned(float[] values)
    {
        var pinned = GC.AllocateUninitializedArray<float>(values.Length, pinned: true);
        values.CopyTo(pinned, 0);
        return pinned;
    }

    private static (Library?, string) Build()
    {
        string? gcc = PeerProcess.FindOnPath("gcc");
        if (gcc is null) return (null, "absent: gcc not found on PATH");
        try
        {
            string folder = PeerProcess.NewFolder("deeppcr-cref");
            string source = PeerProcess.Extract("fused_mlp.c", folder), library = Path.Combine(folder, "libfused_mlp.so");
            var (exit, output) = PeerProcess.Run(gcc, [.. Flags.Split(' '), "-shared", "-fPIC", "-o", library, source, "-lm"], TimeSpan.FromSeconds(120));
            if (exit != 0) return (null, $"absent: gcc failed ({exit}): {output.Trim()}");
            var (_, version) = PeerProcess.Run(gcc, ["-dumpfullversion"], TimeSpan.FromSeconds(30));
            return (new Library(NativeLibrary.Load(library)), $"gcc {version.Trim()} {Flags}");
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or DllNotFoundException or EntryPointNotFoundException or System.ComponentModel.Win32Exception)
        {
            return (null, $"absent: {e.Message}");
        }
    }

    /// <summary>The two entry points of the built library.</summary>
    private sealed class Library(IntPtr handle)
    {
        public readonly delegate* unmanaged<int, int, int, int, float*, float*, float*, float*, void> Forward =
            (delegate* unmanaged<int, int, int, int, float*, float*, float*, float*, void>)NativeLibrary.GetExport(handle, "fused_mlp_forward");

        public readonly delegate* unmanaged<int, int, int, int, float*, float*, float*, float*, float*, float*, float*, void> Backward =
            (delegate* unmanaged<int, int, int, int, float*, float*, float*, float*, float*, float*, float*, void>)NativeLibrary.GetExport(handle, "fused_mlp_backward");
    }
}
