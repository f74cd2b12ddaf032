// LLRP message bodies captured from real readers, with the JSON decoding published beside each.
// Source: github.com/edgexfoundry/device-rfid-llrp-go, pkg/llrp/testdata/, commit
// cd6a08a6bfb7c36bf9122a0360461b2f1c8e1ae6. Copyright 2020 Intel Corporation, Apache License 2.0.
// Embedded so the tests run from a fresh clone; `CaptureTests` checks them against the shared
// fixtures folder whenever it is present.

/// One capture: a message body without its 10-byte header, and its published JSON decoding.
struct Capture: Sendable {
    /// The file name without extension, as in the fixtures folder (e.g. `roAccessReports/ROAccessReport-001`).
    let name: String
    /// The body bytes, in hex.
    let hex: String
    /// The JSON decoding.
    let json: String
}

enum Captures {
    static let all: [Capture] = [
        Capture(
            name: "CloseConnectionResponse-000",
            hex: "011f000800000000",
            json: #"""
{
	"LLRPStatus": {
		"Status": 0,
		"ErrorDescription": "",
		"FieldError": null,
		"ParameterError": null
	}
}
"""#
        ),
        Capture(
            name: "GetAccessSpecsResponse-000",
            hex: "011f000800000000",
            json: #"""
{
	"LLRPStatus": {
		"Status": 0,
		"ErrorDescription": "",
		"FieldError": null,
		"ParameterError": null
	},
	"AccessSpecs": null
}
"""#
        ),
        Capture(
            name: "GetROSpecsResponse-000",
            hex: "011f000800000000",
            json: #"""
{
	"LLRPStatus": {
		"Status": 0,
		"ErrorDescription": "",
		"FieldError": null,
		"ParameterError": null
	},
	"ROSpecs": null
}
"""#
        ),
        Capture(
            name: "GetReaderCapabilitiesResponse-000",
            hex: "011f00080000000000890198000440000000651a001e886a000a352e31342e302e323430008b000800010000008b00080002000a008b0008" +
            "0003000b008b00080004000c008b00080005000d008b00080006000e008b00080007000f008b000800080010008b000800090011008b0008" +
            "000a0012008b0008000b0013008b0008000c0014008b0008000d0015008b0008000e0016008b0008000f0017008b000800100018008b0008" +
            "00110019008b00080012001a008b00080013001b008b00080014001c008b00080015001d008b00080016001e008b00080017001f008b0008" +
            "00180020008b000800190021008b0008001a0022008b0008001b0023008b0008001c0024008b0008001d0025008b0008001e0026008b0008" +
            "001f0027008b000800200028008b000800210029008b00080022002a008b00080023002b008b00080024002c008b00080025002d008b0008" +
            "0026002e008b00080027002f008b000800280030008b000800290031008b0008002a0032008d000800040004008c00090001000101008c00" +
            "090002000101008c00090003000101008c00090004000101008e001c48010000000000010000002000000001000005e400000008008f04ad" +
            "03480001009004a500910008000103e80091000800020401009100080003041a0091000800040433009100080005044c0091000800060465" +
            "009100080007047e009100080008049700910008000904b000910008000a04c900910008000b04e200910008000c04fb00910008000d0514" +
            "00910008000e052d00910008000f0546009100080010055f0091000800110578009100080012059100910008001305aa00910008001405c3" +
            "00910008001505dc00910008001605f5009100080017060e0091000800180627009100080019064000910008001a065900910008001b0672" +
            "00910008001c068b00910008001d06a400910008001e06bd00910008001f06d600910008002006ef00910008002107080091000800220721" +
            "009100080023073a0091000800240753009100080025076c0091000800260785009100080027079e00910008002807b700910008002907d0" +
            "00910008002a07e900910008002b080200910008002c081b00910008002d083400910008002e084d00910008002f0866009100080030087f" +
            "009100080031089800910008003208b100910008003308ca00910008003408e300910008003508fc0091000800360915009100080037092e" +
            "0091000800380947009100080039096000910008003a097900910008003b099200910008003c09ab00910008003d09c400910008003e09dd" +
            "00910008003f09f60091000800400a0f0091000800410a280091000800420a410091000800430a5a0091000800440a730091000800450a8c" +
            "0091000800460aa50091000800470abe0091000800480ad70091000800490af000910008004a0b0900910008004b0b2200910008004c0b3b" +
            "00910008004d0b5400910008004e0b6d00910008004f0b860091000800500b9f0091000800510bb8009200d580009300d001000032000ddf" +
            "c2000ddbda000e2036000de792000de59e000e241e000e00f6000dd022000e2612000e0ea2000e1e42000e06d2000e1c4e000dfb1a000e08" +
            "c6000def62000e222a000dfd0e000e04de000df34a000de1b6000dff02000dddce000dc65e000e1096000df156000df926000e1866000dcc" +
            "3a000dca46000dc852000dd9e6000df732000e1a5a000ded6e000e02ea000deb7a000de3aa000e128a000dd216000dd5fe000e0cae000e16" +
            "72000dd40a000df53e000de986000e0aba000dd7f2000e147e000dce2e014801440149002000000000800002020009c400000005dc000018" +
            "6a0000186a000000000149002000000001800102020009c400000005dc0000186a0000186a0000000001490020000000028002000300042e" +
            "50000007d000004e2000004e200000000001490020000000038003000300029a68000007d000004e2000004e200000000001490020000000" +
            "04800200020009c400000005dc00001be400001be40000000001490020000003e80000000000009c40000005dc0000186a0000186a000000" +
            "0001490020000003ea0000000000009c40000005dc0000186a0000186a0000000001490020000003eb0000000000009c40000005dc000018" +
            "6a0000186a0000000001490020000003ec0000000000009c40000005dc0000186a0000186a0000000001490020000003ed0000000000009c" +
            "40000005dc0000186a0000186a0000000001470007400002",
            json: #"""
{
	"LLRPStatus": {
		"Status": 0,
		"ErrorDescription": "",
		"FieldError": null,
		"ParameterError": null
	},
	"GeneralDeviceCapabilities": {
		"MaxSupportedAntennas": 4,
		"CanSetAntennaProperties": false,
		"HasUTCClock": true,
		"DeviceManufacturer": 25882,
		"Model": 2001002,
		"FirmwareVersion": "5.14.0.240",
		"ReceiveSensitivities": [
			{
				"Index": 1,
				"ReceiveSensitivity": 0
			},
			{
				"Index": 2,
				"ReceiveSensitivity": 10
			},
			{
				"Index": 3,
				"ReceiveSensitivity": 11
			},
			{
				"Index": 4,
				"ReceiveSensitivity": 12
			},
			{
				"Index": 5,
				"ReceiveSensitivity": 13
			},
			{
				"Index": 6,
				"ReceiveSensitivity": 14
			},
			{
				"Index": 7,
				"ReceiveSensitivity": 15
			},
			{
				"Index": 8,
				"ReceiveSensitivity": 16
			},
			{
				"Index": 9,
				"ReceiveSensitivity": 17
			},
			{
				"Index": 10,
				"ReceiveSensitivity": 18
			},
			{
				"Index": 11,
				"ReceiveSensitivity": 19
			},
			{
				"Index": 12,
				"ReceiveSensitivity": 20
			},
			{
				"Index": 13,
				"ReceiveSensitivity": 21
			},
			{
				"Index": 14,
				"ReceiveSensitivity": 22
			},
			{
				"Index": 15,
				"ReceiveSensitivity": 23
			},
			{
				"Index": 16,
				"ReceiveSensitivity": 24
			},
			{
				"Index": 17,
				"ReceiveSensitivity": 25
			},
			{
				"Index": 18,
				"ReceiveSensitivity": 26
			},
			{
				"Index": 19,
				"ReceiveSensitivity": 27
			},
			{
				"Index": 20,
				"ReceiveSensitivity": 28
			},
			{
				"Index": 21,
				"ReceiveSensitivity": 29
			},
			{
				"Index": 22,
				"ReceiveSensitivity": 30
			},
			{
				"Index": 23,
				"ReceiveSensitivity": 31
			},
			{
				"Index": 24,
				"ReceiveSensitivity": 32
			},
			{
				"Index": 25,
				"ReceiveSensitivity": 33
			},
			{
				"Index": 26,
				"ReceiveSensitivity": 34
			},
			{
				"Index": 27,
				"ReceiveSensitivity": 35
			},
			{
				"Index": 28,
				"ReceiveSensitivity": 36
			},
			{
				"Index": 29,
				"ReceiveSensitivity": 37
			},
			{
				"Index": 30,
				"ReceiveSensitivity": 38
			},
			{
				"Index": 31,
				"ReceiveSensitivity": 39
			},
			{
				"Index": 32,
				"ReceiveSensitivity": 40
			},
			{
				"Index": 33,
				"ReceiveSensitivity": 41
			},
			{
				"Index": 34,
				"ReceiveSensitivity": 42
			},
			{
				"Index": 35,
				"ReceiveSensitivity": 43
			},
			{
				"Index": 36,
				"ReceiveSensitivity": 44
			},
			{
				"Index": 37,
				"ReceiveSensitivity": 45
			},
			{
				"Index": 38,
				"ReceiveSensitivity": 46
			},
			{
				"Index": 39,
				"ReceiveSensitivity": 47
			},
			{
				"Index": 40,
				"ReceiveSensitivity": 48
			},
			{
				"Index": 41,
				"ReceiveSensitivity": 49
			},
			{
				"Index": 42,
				"ReceiveSensitivity": 50
			}
		],
		"PerAntennaReceiveSensitivityRanges": null,
		"GPIOCapabilities": {
			"NumGPIs": 4,
			"NumGPOs": 4
		},
		"PerAntennaAirProtocols": [
			{
				"AntennaID": 1,
				"AirProtocolIDs": "AQ=="
			},
			{
				"AntennaID": 2,
				"AirProtocolIDs": "AQ=="
			},
			{
				"AntennaID": 3,
				"AirProtocolIDs": "AQ=="
			},
			{
				"AntennaID": 4,
				"AirProtocolIDs": "AQ=="
			}
		],
		"MaximumReceiveSensitivity": null
	},
	"LLRPCapabilities": {
		"CanDoRFSurvey": false,
		"CanReportBufferFillWarning": true,
		"SupportsClientRequestOpSpec": false,
		"CanDoTagInventoryStateAwareSingulation": false,
		"SupportsEventsAndReportHolding": true,
		"MaxPriorityLevelSupported": 1,
		"ClientRequestedOpSpecTimeout": 0,
		"MaxROSpecs": 1,
		"MaxSpecsPerROSpec": 32,
		"MaxInventoryParameterSpecsPerAISpec": 1,
		"MaxAccessSpecs": 1508,
		"MaxOpSpecsPerAccessSpec": 8
	},
	"RegulatoryCapabilities": {
		"CountryCode": 840,
		"CommunicationsStandard": 1,
		"UHFBandCapabilities": {
			"TransmitPowerLevels": [
				{
					"Index": 1,
					"TransmitPowerValue": 1000
				},
				{
					"Index": 2,
					"TransmitPowerValue": 1025
				},
				{
					"Index": 3,
					"TransmitPowerValue": 1050
				},
				{
					"Index": 4,
					"TransmitPowerValue": 1075
				},
				{
					"Index": 5,
					"TransmitPowerValue": 1100
				},
				{
					"Index": 6,
					"TransmitPowerValue": 1125
				},
				{
					"Index": 7,
					"TransmitPowerValue": 1150
				},
				{
					"Index": 8,
					"TransmitPowerValue": 1175
				},
				{
					"Index": 9,
					"TransmitPowerValue": 1200
				},
				{
					"Index": 10,
					"TransmitPowerValue": 1225
				},
				{
					"Index": 11,
					"TransmitPowerValue": 1250
				},
				{
					"Index": 12,
					"TransmitPowerValue": 1275
				},
				{
					"Index": 13,
					"TransmitPowerValue": 1300
				},
				{
					"Index": 14,
					"TransmitPowerValue": 1325
				},
				{
					"Index": 15,
					"TransmitPowerValue": 1350
				},
				{
					"Index": 16,
					"TransmitPowerValue": 1375
				},
				{
					"Index": 17,
					"TransmitPowerValue": 1400
				},
				{
					"Index": 18,
					"TransmitPowerValue": 1425
				},
				{
					"Index": 19,
					"TransmitPowerValue": 1450
				},
				{
					"Index": 20,
					"TransmitPowerValue": 1475
				},
				{
					"Index": 21,
					"TransmitPowerValue": 1500
				},
				{
					"Index": 22,
					"TransmitPowerValue": 1525
				},
				{
					"Index": 23,
					"TransmitPowerValue": 1550
				},
				{
					"Index": 24,
					"TransmitPowerValue": 1575
				},
				{
					"Index": 25,
					"TransmitPowerValue": 1600
				},
				{
					"Index": 26,
					"TransmitPowerValue": 1625
				},
				{
					"Index": 27,
					"TransmitPowerValue": 1650
				},
				{
					"Index": 28,
					"TransmitPowerValue": 1675
				},
				{
					"Index": 29,
					"TransmitPowerValue": 1700
				},
				{
					"Index": 30,
					"TransmitPowerValue": 1725
				},
				{
					"Index": 31,
					"TransmitPowerValue": 1750
				},
				{
					"Index": 32,
					"TransmitPowerValue": 1775
				},
				{
					"Index": 33,
					"TransmitPowerValue": 1800
				},
				{
					"Index": 34,
					"TransmitPowerValue": 1825
				},
				{
					"Index": 35,
					"TransmitPowerValue": 1850
				},
				{
					"Index": 36,
					"TransmitPowerValue": 1875
				},
				{
					"Index": 37,
					"TransmitPowerValue": 1900
				},
				{
					"Index": 38,
					"TransmitPowerValue": 1925
				},
				{
					"Index": 39,
					"TransmitPowerValue": 1950
				},
				{
					"Index": 40,
					"TransmitPowerValue": 1975
				},
				{
					"Index": 41,
					"TransmitPowerValue": 2000
				},
				{
					"Index": 42,
					"TransmitPowerValue": 2025
				},
				{
					"Index": 43,
					"TransmitPowerValue": 2050
				},
				{
					"Index": 44,
					"TransmitPowerValue": 2075
				},
				{
					"Index": 45,
					"TransmitPowerValue": 2100
				},
				{
					"Index": 46,
					"TransmitPowerValue": 2125
				},
				{
					"Index": 47,
					"TransmitPowerValue": 2150
				},
				{
					"Index": 48,
					"TransmitPowerValue": 2175
				},
				{
					"Index": 49,
					"TransmitPowerValue": 2200
				},
				{
					"Index": 50,
					"TransmitPowerValue": 2225
				},
				{
					"Index": 51,
					"TransmitPowerValue": 2250
				},
				{
					"Index": 52,
					"TransmitPowerValue": 2275
				},
				{
					"Index": 53,
					"TransmitPowerValue": 2300
				},
				{
					"Index": 54,
					"TransmitPowerValue": 2325
				},
				{
					"Index": 55,
					"TransmitPowerValue": 2350
				},
				{
					"Index": 56,
					"TransmitPowerValue": 2375
				},
				{
					"Index": 57,
					"TransmitPowerValue": 2400
				},
				{
					"Index": 58,
					"TransmitPowerValue": 2425
				},
				{
					"Index": 59,
					"TransmitPowerValue": 2450
				},
				{
					"Index": 60,
					"TransmitPowerValue": 2475
				},
				{
					"Index": 61,
					"TransmitPowerValue": 2500
				},
				{
					"Index": 62,
					"TransmitPowerValue": 2525
				},
				{
					"Index": 63,
					"TransmitPowerValue": 2550
				},
				{
					"Index": 64,
					"TransmitPowerValue": 2575
				},
				{
					"Index": 65,
					"TransmitPowerValue": 2600
				},
				{
					"Index": 66,
					"TransmitPowerValue": 2625
				},
				{
					"Index": 67,
					"TransmitPowerValue": 2650
				},
				{
					"Index": 68,
					"TransmitPowerValue": 2675
				},
				{
					"Index": 69,
					"TransmitPowerValue": 2700
				},
				{
					"Index": 70,
					"TransmitPowerValue": 2725
				},
				{
					"Index": 71,
					"TransmitPowerValue": 2750
				},
				{
					"Index": 72,
					"TransmitPowerValue": 2775
				},
				{
					"Index": 73,
					"TransmitPowerValue": 2800
				},
				{
					"Index": 74,
					"TransmitPowerValue": 2825
				},
				{
					"Index": 75,
					"TransmitPowerValue": 2850
				},
				{
					"Index": 76,
					"TransmitPowerValue": 2875
				},
				{
					"Index": 77,
					"TransmitPowerValue": 2900
				},
				{
					"Index": 78,
					"TransmitPowerValue": 2925
				},
				{
					"Index": 79,
					"TransmitPowerValue": 2950
				},
				{
					"Index": 80,
					"TransmitPowerValue": 2975
				},
				{
					"Index": 81,
					"TransmitPowerValue": 3000
				}
			],
			"FrequencyInformation": {
                "Hopping": true,
                "FrequencyHopTables": [
                    {
                        "HopTableID": 1,
                        "Frequencies": [
                            909250,
                            908250,
                            925750,
                            911250,
                            910750,
                            926750,
                            917750,
                            905250,
                            927250,
                            921250,
                            925250,
                            919250,
                            924750,
                            916250,
                            919750,
                            913250,
                            926250,
                            916750,
                            918750,
                            914250,
                            909750,
                            917250,
                            908750,
                            902750,
                            921750,
                            913750,
                            915750,
                            923750,
                            904250,
                            903750,
                            903250,
                            907750,
                            915250,
                            924250,
                            912750,
                            918250,
                            912250,
                            910250,
                            922250,
                            905750,
                            906750,
                            920750,
                            923250,
                            906250,
                            914750,
                            911750,
                            920250,
                            907250,
                            922750,
                            904750
                        ]
                    }
                ],
                "FixedFrequencyTable": null
            },
			"C1G2RFModes": {
				"UHFC1G2RFModeTableEntries": [
					{
						"ModeID": 0,
						"DivideRatio": 1,
						"IsEPCHagConformant": false,
						"Modulation": 0,
						"ForwardLinkModulation": 2,
						"SpectralMask": 2,
						"BackscatterDataRate": 640000,
						"PIERatio": 1500,
						"MinTariTime": 6250,
						"MaxTariTime": 6250,
						"StepTariTime": 0
					},
					{
						"ModeID": 1,
						"DivideRatio": 1,
						"IsEPCHagConformant": false,
						"Modulation": 1,
						"ForwardLinkModulation": 2,
						"SpectralMask": 2,
						"BackscatterDataRate": 640000,
						"PIERatio": 1500,
						"MinTariTime": 6250,
						"MaxTariTime": 6250,
						"StepTariTime": 0
					},
					{
						"ModeID": 2,
						"DivideRatio": 1,
						"IsEPCHagConformant": false,
						"Modulation": 2,
						"ForwardLinkModulation": 0,
						"SpectralMask": 3,
						"BackscatterDataRate": 274000,
						"PIERatio": 2000,
						"MinTariTime": 20000,
						"MaxTariTime": 20000,
						"StepTariTime": 0
					},
					{
						"ModeID": 3,
						"DivideRatio": 1,
						"IsEPCHagConformant": false,
						"Modulation": 3,
						"ForwardLinkModulation": 0,
						"SpectralMask": 3,
						"BackscatterDataRate": 170600,
						"PIERatio": 2000,
						"MinTariTime": 20000,
						"MaxTariTime": 20000,
						"StepTariTime": 0
					},
					{
						"ModeID": 4,
						"DivideRatio": 1,
						"IsEPCHagConformant": false,
						"Modulation": 2,
						"ForwardLinkModulation": 0,
						"SpectralMask": 2,
						"BackscatterDataRate": 640000,
						"PIERatio": 1500,
						"MinTariTime": 7140,
						"MaxTariTime": 7140,
						"StepTariTime": 0
					},
					{
						"ModeID": 1000,
						"DivideRatio": 0,
						"IsEPCHagConformant": false,
						"Modulation": 0,
						"ForwardLinkModulation": 0,
						"SpectralMask": 0,
						"BackscatterDataRate": 40000,
						"PIERatio": 1500,
						"MinTariTime": 6250,
						"MaxTariTime": 6250,
						"StepTariTime": 0
					},
					{
						"ModeID": 1002,
						"DivideRatio": 0,
						"IsEPCHagConformant": false,
						"Modulation": 0,
						"ForwardLinkModulation": 0,
						"SpectralMask": 0,
						"BackscatterDataRate": 40000,
						"PIERatio": 1500,
						"MinTariTime": 6250,
						"MaxTariTime": 6250,
						"StepTariTime": 0
					},
					{
						"ModeID": 1003,
						"DivideRatio": 0,
						"IsEPCHagConformant": false,
						"Modulation": 0,
						"ForwardLinkModulation": 0,
						"SpectralMask": 0,
						"BackscatterDataRate": 40000,
						"PIERatio": 1500,
						"MinTariTime": 6250,
						"MaxTariTime": 6250,
						"StepTariTime": 0
					},
					{
						"ModeID": 1004,
						"DivideRatio": 0,
						"IsEPCHagConformant": false,
						"Modulation": 0,
						"ForwardLinkModulation": 0,
						"SpectralMask": 0,
						"BackscatterDataRate": 40000,
						"PIERatio": 1500,
						"MinTariTime": 6250,
						"MaxTariTime": 6250,
						"StepTariTime": 0
					},
					{
						"ModeID": 1005,
						"DivideRatio": 0,
						"IsEPCHagConformant": false,
						"Modulation": 0,
						"ForwardLinkModulation": 0,
						"SpectralMask": 0,
						"BackscatterDataRate": 40000,
						"PIERatio": 1500,
						"MinTariTime": 6250,
						"MaxTariTime": 6250,
						"StepTariTime": 0
					}
				]
			},
			"RFSurveyFrequencyCapabilities": null
		},
		"Custom": null
	},
	"C1G2LLRPCapabilities": {
		"SupportsBlockErase": false,
		"SupportsBlockWrite": true,
		"SupportsBlockPermalock": false,
		"SupportsTagRecommissioning": false,
		"SupportsUMIMethod2": false,
		"SupportsXPC": false,
		"MaxSelectFiltersPerQuery": 2
	},
	"Custom": null
}
"""#
        ),
        Capture(
            name: "GetReaderConfigResponse-000",
            hex: "011f00080000000000da000f000008001625ffff1125d600dd0009800001000000dd0009000002000000dd0009000003000000dd00090000" +
            "04000000de002e000100df0006000100e0000a000100000051014a001800014f000803e800000150000b4000200000000000de002e000200" +
            "df0006000100e0000a000100000051014a001800014f000803e800000150000b4000200000000000de002e000300df0006000100e0000a00" +
            "0100000051014a001800014f000803e800000150000b4000200000000000de002e000400df0006000100e0000a000100000051014a001800" +
            "014f000803e800000150000b4000200000000000f4004300f5000700000000f5000700010000f5000700020000f5000700030000f5000700" +
            "048000f5000700050000f5000700060000f5000700070000f5000700088000ed001202000100ee000b1600015c00050000ef00050100d900" +
            "087aa9afe600dc0009000000000000e100080001000000e100080002000000e100080003000000e100080004000000db000700010000db00" +
            "0700020000db000700030000db000700040000e2000500",
            json: #"""
{
	"LLRPStatus": {
		"Status": 0,
		"ErrorDescription": "",
		"FieldError": null,
		"ParameterError": null
	},
	"Identification": {
		"IDType": 0,
		"ReaderID": "ABYl//8RJdY="
	},
	"AntennaProperties": [
		{
			"AntennaConnected": true,
			"AntennaID": 1,
			"AntennaGain": 0
		},
		{
			"AntennaConnected": false,
			"AntennaID": 2,
			"AntennaGain": 0
		},
		{
			"AntennaConnected": false,
			"AntennaID": 3,
			"AntennaGain": 0
		},
		{
			"AntennaConnected": false,
			"AntennaID": 4,
			"AntennaGain": 0
		}
	],
	"AntennaConfigurations": [
		{
			"AntennaID": 1,
			"RFReceiver": 1,
			"RFTransmitter": {
				"HopTableID": 1,
				"ChannelIndex": 0,
				"TransmitPowerIndex": 81
			},
			"C1G2InventoryCommand": {
				"TagInventoryStateAware": false,
				"Filters": null,
				"RFControl": {
					"RFModeID": 1000,
					"Tari": 0
				},
				"SingulationControl": {
					"Session": 1,
					"TagPopulation": 32,
					"TagTransitTime": 0,
					"InvAwareAction": null
				},
				"Custom": null
			},
			"Custom": null
		},
		{
			"AntennaID": 2,
			"RFReceiver": 1,
			"RFTransmitter": {
				"HopTableID": 1,
				"ChannelIndex": 0,
				"TransmitPowerIndex": 81
			},
			"C1G2InventoryCommand": {
				"TagInventoryStateAware": false,
				"Filters": null,
				"RFControl": {
					"RFModeID": 1000,
					"Tari": 0
				},
				"SingulationControl": {
					"Session": 1,
					"TagPopulation": 32,
					"TagTransitTime": 0,
					"InvAwareAction": null
				},
				"Custom": null
			},
			"Custom": null
		},
		{
			"AntennaID": 3,
			"RFReceiver": 1,
			"RFTransmitter": {
				"HopTableID": 1,
				"ChannelIndex": 0,
				"TransmitPowerIndex": 81
			},
			"C1G2InventoryCommand": {
				"TagInventoryStateAware": false,
				"Filters": null,
				"RFControl": {
					"RFModeID": 1000,
					"Tari": 0
				},
				"SingulationControl": {
					"Session": 1,
					"TagPopulation": 32,
					"TagTransitTime": 0,
					"InvAwareAction": null
				},
				"Custom": null
			},
			"Custom": null
		},
		{
			"AntennaID": 4,
			"RFReceiver": 1,
			"RFTransmitter": {
				"HopTableID": 1,
				"ChannelIndex": 0,
				"TransmitPowerIndex": 81
			},
			"C1G2InventoryCommand": {
				"TagInventoryStateAware": false,
				"Filters": null,
				"RFControl": {
					"RFModeID": 1000,
					"Tari": 0
				},
				"SingulationControl": {
					"Session": 1,
					"TagPopulation": 32,
					"TagTransitTime": 0,
					"InvAwareAction": null
				},
				"Custom": null
			},
			"Custom": null
		}
	],
	"ReaderEventNotificationSpec": {
		"EventNotificationStates": [
			{
				"ReaderEventType": 0,
				"NotificationEnabled": false
			},
			{
				"ReaderEventType": 1,
				"NotificationEnabled": false
			},
			{
				"ReaderEventType": 2,
				"NotificationEnabled": false
			},
			{
				"ReaderEventType": 3,
				"NotificationEnabled": false
			},
			{
				"ReaderEventType": 4,
				"NotificationEnabled": true
			},
			{
				"ReaderEventType": 5,
				"NotificationEnabled": false
			},
			{
				"ReaderEventType": 6,
				"NotificationEnabled": false
			},
			{
				"ReaderEventType": 7,
				"NotificationEnabled": false
			},
			{
				"ReaderEventType": 8,
				"NotificationEnabled": true
			}
		]
	},
	"ROReportSpec": {
		"Trigger": 2,
		"N": 1,
		"TagReportContentSelector": {
			"EnableROSpecID": false,
			"EnableSpecIndex": false,
			"EnableInventoryParamSpecID": false,
			"EnableAntennaID": true,
			"EnableChannelIndex": false,
			"EnablePeakRSSI": true,
			"EnableFirstSeenTimestamp": true,
			"EnableLastSeenTimestamp": false,
			"EnableTagSeenCount": false,
			"EnableAccessSpecID": false,
			"C1G2EPCMemorySelector": {
				"CRCEnabled": false,
				"PCBitsEnabled": false,
				"XPCBitsEnabled": false
			},
			"Custom": null
		},
		"Custom": null
	},
	"AccessReportSpec": 1,
	"LLRPConfigurationStateValue": 2057940966,
	"KeepAliveSpec": {
		"Trigger": 0,
		"Interval": 0
	},
	"GPIPortCurrentStates": [
		{
			"Port": 1,
			"Enabled": false,
			"State": 0
		},
		{
			"Port": 2,
			"Enabled": false,
			"State": 0
		},
		{
			"Port": 3,
			"Enabled": false,
			"State": 0
		},
		{
			"Port": 4,
			"Enabled": false,
			"State": 0
		}
	],
	"GPOWriteData": [
		{
			"Port": 1,
			"Data": false
		},
		{
			"Port": 2,
			"Data": false
		},
		{
			"Port": 3,
			"Data": false
		},
		{
			"Port": 4,
			"Data": false
		}
	],
	"EventsAndReports": false,
	"Custom": null
}
"""#
        ),
        Capture(
            name: "ReaderEventNotification-000",
            hex: "00f600140080000c0005ac35bd20d1da01010004",
            json: #"""
{
	"ReaderEventNotificationData": {
		"UTCTimestamp": 1596721689842138,
		"Uptime": 0,
		"HoppingEvent": null,
		"GPIEvent": null,
		"ROSpecEvent": null,
		"ReportBufferLevelWarningEvent": null,
		"ReportBufferOverflowErrorEvent": null,
		"ReaderExceptionEvent": null,
		"RFSurveyEvent": null,
		"AISpecEvent": null,
		"AntennaEvent": null,
		"ConnectionAttemptEvent": null,
		"ConnectionCloseEvent": {},
		"SpecLoopEvent": null,
		"Custom": null
	}
}
"""#
        ),
        Capture(
            name: "roAccessReports/ROAccessReport-001",
            hex: "00f0001f8d3000abcdef0000000000000381000186d0820005a9e4bef862e0",
            json: #"""
{
	"TagReportData": [
		{
			"EPCData": {
				"EPCNumBits": 0,
				"EPC": null
			},
			"EPC96": {
				"EPC": "MACrze8AAAAAAAAD"
			},
			"ROSpecID": null,
			"SpecIndex": null,
			"InventoryParameterSpecID": null,
			"AntennaID": 1,
			"PeakRSSI": -48,
			"ChannelIndex": null,
			"FirstSeenUTC": 1594174805140192,
			"FirstSeenUptime": null,
			"LastSeenUTC": null,
			"LastSeenUptime": null,
			"TagSeenCount": null,
			"C1G2PC": null,
			"C1G2XPCW1": null,
			"C1G2XPCW2": null,
			"C1G2CRC": null,
			"AccessSpecID": null,
			"C1G2ReadOpSpecResult": null,
			"C1G2WriteOpSpecResult": null,
			"C1G2KillOpSpecResult": null,
			"C1G2LockOpSpecResult": null,
			"C1G2BlockEraseOpSpecResult": null,
			"C1G2BlockWriteOpSpecResult": null,
			"C1G2RecommissionOpSpecResult": null,
			"C1G2BlockPermalockOpSpecResult": null,
			"C1G2GetBlockPermalockStatusOpSpecResult": null,
			"ClientRequestOpSpecResult": null,
			"Custom": null
		}
	],
	"RFSurveyReportData": null,
	"Custom": null
}
"""#
        ),
        Capture(
            name: "roAccessReports/ROAccessReport-002",
            hex: "00f0001f8d3000abcdef0000000000000581000186d1820005a9e4bef876b4",
            json: #"""
{
	"TagReportData": [
		{
			"EPCData": {
				"EPCNumBits": 0,
				"EPC": null
			},
			"EPC96": {
				"EPC": "MACrze8AAAAAAAAF"
			},
			"ROSpecID": null,
			"SpecIndex": null,
			"InventoryParameterSpecID": null,
			"AntennaID": 1,
			"PeakRSSI": -47,
			"ChannelIndex": null,
			"FirstSeenUTC": 1594174805145268,
			"FirstSeenUptime": null,
			"LastSeenUTC": null,
			"LastSeenUptime": null,
			"TagSeenCount": null,
			"C1G2PC": null,
			"C1G2XPCW1": null,
			"C1G2XPCW2": null,
			"C1G2CRC": null,
			"AccessSpecID": null,
			"C1G2ReadOpSpecResult": null,
			"C1G2WriteOpSpecResult": null,
			"C1G2KillOpSpecResult": null,
			"C1G2LockOpSpecResult": null,
			"C1G2BlockEraseOpSpecResult": null,
			"C1G2BlockWriteOpSpecResult": null,
			"C1G2RecommissionOpSpecResult": null,
			"C1G2BlockPermalockOpSpecResult": null,
			"C1G2GetBlockPermalockStatusOpSpecResult": null,
			"ClientRequestOpSpecResult": null,
			"Custom": null
		}
	],
	"RFSurveyReportData": null,
	"Custom": null
}
"""#
        ),
        Capture(
            name: "roAccessReports/ROAccessReport-003",
            hex: "00f0001f8d301430a55c0ac3000000000981000186ca820005a9e4bef88110",
            json: #"""
{
	"TagReportData": [
		{
			"EPCData": {
				"EPCNumBits": 0,
				"EPC": null
			},
			"EPC96": {
				"EPC": "MBQwpVwKwwAAAAAJ"
			},
			"ROSpecID": null,
			"SpecIndex": null,
			"InventoryParameterSpecID": null,
			"AntennaID": 1,
			"PeakRSSI": -54,
			"ChannelIndex": null,
			"FirstSeenUTC": 1594174805147920,
			"FirstSeenUptime": null,
			"LastSeenUTC": null,
			"LastSeenUptime": null,
			"TagSeenCount": null,
			"C1G2PC": null,
			"C1G2XPCW1": null,
			"C1G2XPCW2": null,
			"C1G2CRC": null,
			"AccessSpecID": null,
			"C1G2ReadOpSpecResult": null,
			"C1G2WriteOpSpecResult": null,
			"C1G2KillOpSpecResult": null,
			"C1G2LockOpSpecResult": null,
			"C1G2BlockEraseOpSpecResult": null,
			"C1G2BlockWriteOpSpecResult": null,
			"C1G2RecommissionOpSpecResult": null,
			"C1G2BlockPermalockOpSpecResult": null,
			"C1G2GetBlockPermalockStatusOpSpecResult": null,
			"ClientRequestOpSpecResult": null,
			"Custom": null
		}
	],
	"RFSurveyReportData": null,
	"Custom": null
}
"""#
        ),
        Capture(
            name: "roAccessReports/ROAccessReport-004",
            hex: "00f0001f8d301430a55c0ac4000000000081000186bc820005a9e4bef88d20",
            json: #"""
{
	"TagReportData": [
		{
			"EPCData": {
				"EPCNumBits": 0,
				"EPC": null
			},
			"EPC96": {
				"EPC": "MBQwpVwKxAAAAAAA"
			},
			"ROSpecID": null,
			"SpecIndex": null,
			"InventoryParameterSpecID": null,
			"AntennaID": 1,
			"PeakRSSI": -68,
			"ChannelIndex": null,
			"FirstSeenUTC": 1594174805151008,
			"FirstSeenUptime": null,
			"LastSeenUTC": null,
			"LastSeenUptime": null,
			"TagSeenCount": null,
			"C1G2PC": null,
			"C1G2XPCW1": null,
			"C1G2XPCW2": null,
			"C1G2CRC": null,
			"AccessSpecID": null,
			"C1G2ReadOpSpecResult": null,
			"C1G2WriteOpSpecResult": null,
			"C1G2KillOpSpecResult": null,
			"C1G2LockOpSpecResult": null,
			"C1G2BlockEraseOpSpecResult": null,
			"C1G2BlockWriteOpSpecResult": null,
			"C1G2RecommissionOpSpecResult": null,
			"C1G2BlockPermalockOpSpecResult": null,
			"C1G2GetBlockPermalockStatusOpSpecResult": null,
			"ClientRequestOpSpecResult": null,
			"Custom": null
		}
	],
	"RFSurveyReportData": null,
	"Custom": null
}
"""#
        ),
        Capture(
            name: "roAccessReports/ROAccessReport-005",
            hex: "00f0001f8d3000abcdef0000000000000281000186cc820005a9e4bef895f0",
            json: #"""
{
	"TagReportData": [
		{
			"EPCData": {
				"EPCNumBits": 0,
				"EPC": null
			},
			"EPC96": {
				"EPC": "MACrze8AAAAAAAAC"
			},
			"ROSpecID": null,
			"SpecIndex": null,
			"InventoryParameterSpecID": null,
			"AntennaID": 1,
			"PeakRSSI": -52,
			"ChannelIndex": null,
			"FirstSeenUTC": 1594174805153264,
			"FirstSeenUptime": null,
			"LastSeenUTC": null,
			"LastSeenUptime": null,
			"TagSeenCount": null,
			"C1G2PC": null,
			"C1G2XPCW1": null,
			"C1G2XPCW2": null,
			"C1G2CRC": null,
			"AccessSpecID": null,
			"C1G2ReadOpSpecResult": null,
			"C1G2WriteOpSpecResult": null,
			"C1G2KillOpSpecResult": null,
			"C1G2LockOpSpecResult": null,
			"C1G2BlockEraseOpSpecResult": null,
			"C1G2BlockWriteOpSpecResult": null,
			"C1G2RecommissionOpSpecResult": null,
			"C1G2BlockPermalockOpSpecResult": null,
			"C1G2GetBlockPermalockStatusOpSpecResult": null,
			"ClientRequestOpSpecResult": null,
			"Custom": null
		}
	],
	"RFSurveyReportData": null,
	"Custom": null
}
"""#
        ),
        Capture(
            name: "roAccessReports/ROAccessReport-006",
            hex: "00f0001f8d3000abcdef0000000000000181000186d3820005a9e4bef8a421",
            json: #"""
{
	"TagReportData": [
		{
			"EPCData": {
				"EPCNumBits": 0,
				"EPC": null
			},
			"EPC96": {
				"EPC": "MACrze8AAAAAAAAB"
			},
			"ROSpecID": null,
			"SpecIndex": null,
			"InventoryParameterSpecID": null,
			"AntennaID": 1,
			"PeakRSSI": -45,
			"ChannelIndex": null,
			"FirstSeenUTC": 1594174805156897,
			"FirstSeenUptime": null,
			"LastSeenUTC": null,
			"LastSeenUptime": null,
			"TagSeenCount": null,
			"C1G2PC": null,
			"C1G2XPCW1": null,
			"C1G2XPCW2": null,
			"C1G2CRC": null,
			"AccessSpecID": null,
			"C1G2ReadOpSpecResult": null,
			"C1G2WriteOpSpecResult": null,
			"C1G2KillOpSpecResult": null,
			"C1G2LockOpSpecResult": null,
			"C1G2BlockEraseOpSpecResult": null,
			"C1G2BlockWriteOpSpecResult": null,
			"C1G2RecommissionOpSpecResult": null,
			"C1G2BlockPermalockOpSpecResult": null,
			"C1G2GetBlockPermalockStatusOpSpecResult": null,
			"ClientRequestOpSpecResult": null,
			"Custom": null
		}
	],
	"RFSurveyReportData": null,
	"Custom": null
}
"""#
        ),
        Capture(
            name: "roAccessReports/ROAccessReport-007",
            hex: "00f0001f8d301430a55c0ac3000000000581000186cb820005a9e4bef8aeaa",
            json: #"""
{
	"TagReportData": [
		{
			"EPCData": {
				"EPCNumBits": 0,
				"EPC": null
			},
			"EPC96": {
				"EPC": "MBQwpVwKwwAAAAAF"
			},
			"ROSpecID": null,
			"SpecIndex": null,
			"InventoryParameterSpecID": null,
			"AntennaID": 1,
			"PeakRSSI": -53,
			"ChannelIndex": null,
			"FirstSeenUTC": 1594174805159594,
			"FirstSeenUptime": null,
			"LastSeenUTC": null,
			"LastSeenUptime": null,
			"TagSeenCount": null,
			"C1G2PC": null,
			"C1G2XPCW1": null,
			"C1G2XPCW2": null,
			"C1G2CRC": null,
			"AccessSpecID": null,
			"C1G2ReadOpSpecResult": null,
			"C1G2WriteOpSpecResult": null,
			"C1G2KillOpSpecResult": null,
			"C1G2LockOpSpecResult": null,
			"C1G2BlockEraseOpSpecResult": null,
			"C1G2BlockWriteOpSpecResult": null,
			"C1G2RecommissionOpSpecResult": null,
			"C1G2BlockPermalockOpSpecResult": null,
			"C1G2GetBlockPermalockStatusOpSpecResult": null,
			"ClientRequestOpSpecResult": null,
			"Custom": null
		}
	],
	"RFSurveyReportData": null,
	"Custom": null
}
"""#
        ),
        Capture(
            name: "roAccessReports/ROAccessReport-008",
            hex: "00f0001f8d301430a55c0ac3000000000681000186c8820005a9e4bef8bd46",
            json: #"""
{
	"TagReportData": [
		{
			"EPCData": {
				"EPCNumBits": 0,
				"EPC": null
			},
			"EPC96": {
				"EPC": "MBQwpVwKwwAAAAAG"
			},
			"ROSpecID": null,
			"SpecIndex": null,
			"InventoryParameterSpecID": null,
			"AntennaID": 1,
			"PeakRSSI": -56,
			"ChannelIndex": null,
			"FirstSeenUTC": 1594174805163334,
			"FirstSeenUptime": null,
			"LastSeenUTC": null,
			"LastSeenUptime": null,
			"TagSeenCount": null,
			"C1G2PC": null,
			"C1G2XPCW1": null,
			"C1G2XPCW2": null,
			"C1G2CRC": null,
			"AccessSpecID": null,
			"C1G2ReadOpSpecResult": null,
			"C1G2WriteOpSpecResult": null,
			"C1G2KillOpSpecResult": null,
			"C1G2LockOpSpecResult": null,
			"C1G2BlockEraseOpSpecResult": null,
			"C1G2BlockWriteOpSpecResult": null,
			"C1G2RecommissionOpSpecResult": null,
			"C1G2BlockPermalockOpSpecResult": null,
			"C1G2GetBlockPermalockStatusOpSpecResult": null,
			"ClientRequestOpSpecResult": null,
			"Custom": null
		}
	],
	"RFSurveyReportData": null,
	"Custom": null
}
"""#
        ),
        Capture(
            name: "roAccessReports/ROAccessReport-009",
            hex: "00f0001f8d3000abcdef0000000000000481000186ce820005a9e4bef8c7e5",
            json: #"""
{
	"TagReportData": [
		{
			"EPCData": {
				"EPCNumBits": 0,
				"EPC": null
			},
			"EPC96": {
				"EPC": "MACrze8AAAAAAAAE"
			},
			"ROSpecID": null,
			"SpecIndex": null,
			"InventoryParameterSpecID": null,
			"AntennaID": 1,
			"PeakRSSI": -50,
			"ChannelIndex": null,
			"FirstSeenUTC": 1594174805166053,
			"FirstSeenUptime": null,
			"LastSeenUTC": null,
			"LastSeenUptime": null,
			"TagSeenCount": null,
			"C1G2PC": null,
			"C1G2XPCW1": null,
			"C1G2XPCW2": null,
			"C1G2CRC": null,
			"AccessSpecID": null,
			"C1G2ReadOpSpecResult": null,
			"C1G2WriteOpSpecResult": null,
			"C1G2KillOpSpecResult": null,
			"C1G2LockOpSpecResult": null,
			"C1G2BlockEraseOpSpecResult": null,
			"C1G2BlockWriteOpSpecResult": null,
			"C1G2RecommissionOpSpecResult": null,
			"C1G2BlockPermalockOpSpecResult": null,
			"C1G2GetBlockPermalockStatusOpSpecResult": null,
			"ClientRequestOpSpecResult": null,
			"Custom": null
		}
	],
	"RFSurveyReportData": null,
	"Custom": null
}
"""#
        ),
    ]
}
