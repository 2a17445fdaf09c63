using System.Text.Json.Nodes;
using DeepPcr.Cli.Measuring;
using DeepPcr.Models.Mlp;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Cli.Mlp;

/// <summary>
/// The compiled sequential baselines of one MLP point and pass (DESIGN.md section 4): the fused C# loop
/// (<see cref="FusedMlpLoop{T}"/>, float32) on one thread and on every core, and the single-threaded C reference
/// loop where gcc is present. Both keep every state in the forward pass; the backward passes read them. The fused loop
/// is timed across the same boundary as DeepPCR and auto: a CPU tensor in (read in place), new tensors out (the input,
/// weight and bias gradients backward, the states forward, see <see cref="FusedForward"/>). The C reference is the
/// compute limit on arrays.
/// JSON: <c>fused_sequential_1t_ms</c>, <c>fused_sequential_ms</c> (the best over thread counts) with
/// <c>fused_sequential_threads</c>, <c>c_reference_ms</c> with <c>c_reference</c> (compiler and flags, or "absent: ..."),
/// <c>fused_sequential_1t_over_c_reference</c>, and the error of each against the float64 reference.
/// </summary>
public sealed class SequentialBaselines
{
    private const string Fused = "fused_sequential", C = "c_reference";

    private readonly FusedMlpLoop<float> fused;
    private readonly FusedMlpTape<float> tape;
    private readonly CReferenceLoop? reference;
    private readonly string? referenceAbsent;
    private readonly float[] input, cotangent, gradW, gradB, gradX;
    private readonly Tensor inputTensor, cotangentTensor;
    private readonly bool backward;

    /// <summary>Prepares both loops; a backward pass runs one forward pass of each first, untimed, for its states.</summary>
    /// <param name="chain">The network.</param>
    /// <param name="input">(B, w).</param>
    /// <param name="cotangent">(B, w) for the backward pass; null for the forward pass.</param>
    public SequentialBaselines(MlpChain chain, Tensor input, Tensor? cotangent)
    {
        backward = cotangent is not null;
        inputTensor = input.to_type(ScalarType.Float32).contiguous();
        cotangentTensor = (cotangent ?? torch.zeros_like(input)).to_type(ScalarType.Float32).contiguous();
        this.input = inputTensor.data<float>().ToArray();
        this.cotangent = cotangentTensor.data<float>().ToArray();
        fused = new FusedMlpLoop<float>(chain);
        tape = fused.NewTape(this.input.Length / chain.Width);
        gradW = new float[chain.Length * chain.Width * chain.Width];
        gradB = new float[chain.Length * chain.Width];
        gradX = new float[this.input.Length];
        reference = CReferenceLoop.TryCreate(chain, this.input, this.cotangent, out referenceAbsent);
        fused.Forward(this.input, tape);
        reference?.Forward();
    }

    /// <summary>The fused loop once per thread count it would really run on at this size (one thread only where it does
    /// not split the batch), and the C reference (one thread) where present.</summary>
    public IEnumerable<BenchCase> Cases()
    {
        var counts = ThreadedCases.Counts.Where(t => t == 1 || ThreadsUnder(t) == t);
        foreach (var c in ThreadedCases.For(Fused, backward ? FusedBackward : FusedForward, counts))
        {
            yield return c;
        }
        if (reference is not null) yield return new BenchCase(C, backward ? reference.Backward : reference.Forward, Threads: 1);
    }

    /// <summary>
    /// The input tensor in, read in place; the states written straight into a new (L + 1, B, w) tensor, z_1..z_L out as
    /// DeepPCR and auto return theirs (the boundary issue 21 defines: CPU tensors in, tensors out). Until the harness
    /// filled short samples back to back, a new tensor seemed to cost 40-80 us here, and the states stayed in the
    /// loop's tape; that cost was the one-call samples' cold caches.
    /// </summary>
    private void FusedForward()
    {
        using var states = torch.empty(new long[] { fused.Layers + 1, tape.Batch, fused.Width }, dtype: ScalarType.Float32);
        fused.ForwardStates(Floats(inputTensor), Floats(states));
    }

    /// <summary>The cotangent tensor in, read in place; the gradients written straight into new tensors.</summary>
    private void FusedBackward()
    {
        using var x = torch.empty(new long[] { tape.Batch, fused.Width }, dtype: ScalarType.Float32);
        using var w = torch.empty(new long[] { fused.Layers, fused.Width, fused.Width }, dtype: ScalarType.Float32);
        using var b = torch.empty(new long[] { fused.Layers, fused.Width }, dtype: ScalarType.Float32);
        fused.Backward(tape, Floats(cotangentTensor), Floats(w), Floats(b), Floats(x));
    }

    private static Span<float> Floats(Tensor tensor) => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(tensor.bytes);

    private int ThreadsUnder(int limit)
    {
        using var scope = DeepPcr.Linear.HostThreads.Use(limit);
        return fused.ThreadsFor(tape.Batch);
    }

    /// <summary>The fused loop's best median (for the speed-ups) and its thread count.</summary>
    public static (double Ms, int Threads) Best(IReadOnlyList<Timing> timings) => ThreadedCases.Best(timings, Fused);

    /// <summary>Writes the baselines' columns into a pass's JSON object.</summary>
    /// <param name="pass">The pass's object.</param>
    /// <param name="timings">The harness's timings, which include <see cref="Cases"/>.</param>
    /// <param name="expected">Float64 reference: the states (L, B, w) of the forward pass, or [input, weights, biases]
    /// gradients of the backward pass.</param>
    public void Report(JsonObject pass, IReadOnlyList<Timing> timings, IReadOnlyList<Tensor> expected)
    {
        var (bestMs, bestThreads) = Best(timings);
        double oneThread = ThreadedCases.Median(timings, Fused, 1);
        double? cMs = timings.SingleOrDefault(t => t.Label == C)?.MedianMs;
        pass["fused_sequential_1t_ms"] = oneThread;
        pass["fused_sequential_ms"] = bestMs;
        pass["fused_sequential_threads"] = bestThreads;
        pass["fused_sequential_max_rel_error"] = Error(FusedValues(), expected);
        pass["c_reference_ms"] = reference is null ? null : cMs;
        pass["c_reference_threads"] = reference is null ? null : 1;
        pass["c_reference"] = referenceAbsent ?? CReferenceLoop.Status;
        pass["c_reference_max_rel_error"] = reference is null ? null : Error(ReferenceValues(), expected);
        pass["fused_sequential_1t_over_c_reference"] = reference is null ? null : oneThread / cMs;
    }

    private Tensor[] FusedValues()
    {
        fused.Forward(input, tape);
        if (!backward) return [States(tape.States)];
        fused.Backward(tape, cotangent, gradW, gradB, gradX);
        return Gradients(gradX, gradW, gradB);
    }

    private Tensor[] ReferenceValues()
    {
        reference!.Forward();
        if (!backward) return [States(reference.States.ToArray())];
        reference.Backward();
        return Gradients(reference.InputGradient.ToArray(), reference.WeightGradients.ToArray(), reference.BiasGradients.ToArray());
    }

    /// <summary>z_1..z_L (L, B, w) of a (L + 1, B, w) state array.</summary>
    private Tensor States(float[] states)
    {
        int rowSize = input.Length;
        return torch.tensor(states.AsSpan(rowSize).ToArray()).reshape(fused.Layers, rowSize / fused.Width, fused.Width);
    }

    private Tensor[] Gradients(float[] x, float[] w, float[] b) =>
        [torch.tensor(x).reshape(x.Length / fused.Width, fused.Width), torch.tensor(w).reshape(fused.Layers, fused.Width, fused.Width), torch.tensor(b).reshape(fused.Layers, fused.Width)];

    private static double Error(IReadOnlyList<Tensor> values, IReadOnlyList<Tensor> reference)
    {
        using var scope = torch.NewDisposeScope();
        return MlpBackwardBenchmark.PooledError(values, reference);
    }
}
